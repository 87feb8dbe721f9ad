/** @file
 * Everything: the loop core, transports, subprocesses, signals. */
#ifndef LOOPCOMPAT_H
#define LOOPCOMPAT_H

#include "loopcompat/loop.h"
#include "loopcompat/transport.h"
#include "loopcompat/signals.h"
#include "loopcompat/process.h"

#endif
