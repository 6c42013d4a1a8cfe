/*
 * progress.h - the progress display of `visionnet train` and `eval`, fed
 * by the library's progress callback (vn_fit_progress).
 *
 * On a terminal: one bar redrawn in place on stderr, at most ten times a
 * second ("epoch 2/3 [=====>    ] 52% 488/938  4310 img/s  loss 0.3121
 * acc 88.7%  ETA 0:06"), replaced by a summary line at the end of every
 * epoch. Not on a terminal (a log, a pipe): plain lines only, one at each
 * quarter of an epoch and the summary. Nothing ever goes to stdout, which
 * stays for the results (and --json).
 */
#ifndef VISIONNET_PROGRESS_H
#define VISIONNET_PROGRESS_H

#include "cli.h"

typedef struct cli_progress {
    bool tty;              /* redraw a bar in place */
    bool quiet;            /* print nothing */
    const char *what;      /* "eval" for evaluation bars */
    double last_draw;      /* seconds of the last redraw */
    int last_quarter;      /* last quarter of the epoch printed (plain lines) */
    int last_epoch;
    bool bar_shown;        /* a bar is on the screen and must be cleared */
} cli_progress;

/* Start a display for stderr; quiet prints nothing at all. */
void cli_progress_init(cli_progress *p, const char *what, bool quiet);

/* A vn_fit_progress_fn: user_data is the cli_progress. */
void cli_progress_update(const vn_fit_progress *fp, void *user_data);

/* Clear a bar left on the screen (before printing anything else). */
void cli_progress_clear(cli_progress *p);

#endif
