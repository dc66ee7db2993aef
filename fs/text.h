/* text.c: the generated files (status, local, remote, stats …). */
#ifndef SLASHNET_TEXT_H
#define SLASHNET_TEXT_H

#include "conv.h"

int text_make(struct ofile *of);

#endif
