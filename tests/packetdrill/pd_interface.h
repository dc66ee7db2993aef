/*
 * packetdrill's shared-object interface, declared from its documentation
 * (packetdrill's --so_filename option): the tested object exports
 * packetdrill_interface_init(flags, ifc), which fills ifc with a userdata
 * pointer and one function per system call packetdrill would otherwise
 * make, plus netdev_send/netdev_receive for the packets and
 * usleep/gettimeofday for the clock. Every function gets the userdata
 * first, then the arguments of the system call it stands for, and
 * answers as that call does (-1 and errno on failure).
 *
 * The order of the members is the binary interface: do not reorder them.
 */
#ifndef PD_INTERFACE_H
#define PD_INTERFACE_H

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

struct pd_interface {
	void *userdata;
	void (*free)(void *ud);
	int (*socket)(void *ud, int domain, int type, int protocol);
	int (*bind)(void *ud, int fd, const struct sockaddr *addr, socklen_t len);
	int (*listen)(void *ud, int fd, int backlog);
	int (*accept)(void *ud, int fd, struct sockaddr *addr, socklen_t *len);
	int (*connect)(void *ud, int fd, const struct sockaddr *addr, socklen_t len);
	ssize_t (*read)(void *ud, int fd, void *buf, size_t n);
	ssize_t (*readv)(void *ud, int fd, const struct iovec *iov, int iovcnt);
	ssize_t (*recv)(void *ud, int fd, void *buf, size_t n, int flags);
	ssize_t (*recvfrom)(void *ud, int fd, void *buf, size_t n, int flags,
			    struct sockaddr *from, socklen_t *fromlen);
	ssize_t (*recvmsg)(void *ud, int fd, struct msghdr *msg, int flags);
	ssize_t (*write)(void *ud, int fd, const void *buf, size_t n);
	ssize_t (*writev)(void *ud, int fd, const struct iovec *iov, int iovcnt);
	ssize_t (*send)(void *ud, int fd, const void *buf, size_t n, int flags);
	ssize_t (*sendto)(void *ud, int fd, const void *buf, size_t n, int flags,
			  const struct sockaddr *to, socklen_t tolen);
	ssize_t (*sendmsg)(void *ud, int fd, const struct msghdr *msg, int flags);
	int (*fcntl)(void *ud, int fd, int cmd, ...);
	int (*ioctl)(void *ud, int fd, unsigned long request, ...);
	int (*close)(void *ud, int fd);
	int (*shutdown)(void *ud, int fd, int how);
	int (*getsockopt)(void *ud, int fd, int level, int name, void *val, socklen_t *len);
	int (*setsockopt)(void *ud, int fd, int level, int name, const void *val,
			  socklen_t len);
	int (*poll)(void *ud, struct pollfd *fds, nfds_t nfds, int timeout_ms);
	/* One IP packet from packetdrill into the stack: 0, or -1. */
	int (*netdev_send)(void *ud, const void *pkt, size_t len);
	/* The next IP packet the stack sent: at most *len bytes are copied
	 * to buf, *len is set to the packet's length (0: none) and *when to
	 * the time it left (µs, the clock of gettimeofday). 0, or -1. */
	int (*netdev_receive)(void *ud, void *buf, size_t *len, long long *when);
	int (*usleep)(void *ud, useconds_t us);
	int (*gettimeofday)(void *ud, struct timeval *tv, struct timezone *tz);
	int (*epoll_create)(void *ud, int size);
	int (*epoll_ctl)(void *ud, int epfd, int op, int fd, struct epoll_event *ev);
	int (*epoll_wait)(void *ud, int epfd, struct epoll_event *evs, int max, int timeout_ms);
	int (*pipe)(void *ud, int fds[2]);
	int (*splice)(void *ud, int in, loff_t *off_in, int out, loff_t *off_out, size_t len,
		      unsigned int flags);
};

/* The one symbol packetdrill looks up in the object. flags is the text of
 * --so_flags (NULL if none). */
typedef void (*pd_interface_init_fn)(const char *flags, struct pd_interface *ifc);
#define PD_INTERFACE_INIT "packetdrill_interface_init"

#endif
