/* tree.c: the file tree, and the FUSE operations that serve it. */
#ifndef SLASHNET_TREE_H
#define SLASHNET_TREE_H

#include "conv.h"

extern const struct fuse_lowlevel_ops fs_ops;

#endif
