/* pager: send a command's standard output through a pager on a terminal.
 *
 * pager_start() runs $PAGER (through /bin/sh -c), else `less -R`, with LESS=FRX when LESS is
 * unset (quit at once when the text fits the screen, keep colours, no screen clearing), and
 * points file descriptor 1 at a pipe into it. It does nothing when stdout is not a terminal,
 * when PAGER is set to the empty string, or when the pager cannot be started (the output
 * then goes to the terminal as before). Ctrl-C or a termination signal closes the pipe and
 * waits for the pager before the process ends, so the terminal is left to the shell in order. While
 * a pager runs SIGPIPE is ignored: a write after the reader quit fails with EPIPE, which
 * pager_finish() reports as the quiet end it is rather than an error. */
#ifndef CALLMINE_PAGER_H
#define CALLMINE_PAGER_H

/* Start the pager if stdout is a terminal. Returns 1 when one runs, else 0; never fails. */
int pager_start(void);

/* Whether output went to a pager that has quit (a write failed with EPIPE, or the pager
 * exited). Meaningful after a failed write. */
int pager_gone(void);

/* Flush stdout, close the pipe, wait for the pager to exit and point stdout at /dev/null,
 * so that later writes succeed and go nowhere. A no-op without a pager. */
void pager_finish(void);

#endif
