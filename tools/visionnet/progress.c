/* progress.c - the progress bar and plain progress lines of `visionnet
 * train` and `eval` (see progress.h). */
#include "progress.h"

#include <math.h>
#include <time.h>

#define BAR_WIDTH 24
#define REDRAW_SECONDS 0.1

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_init(cli_progress *p, const char *what, bool quiet)
{
    *p = (cli_progress){.tty = cli_stderr_is_tty(), .quiet = quiet, .what = what,
                        .last_draw = -1.0, .last_epoch = -1};
}

void cli_progress_clear(cli_progress *p)
{
    if (p->bar_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        p->bar_shown = false;
    }
}

/* "1:05" or "1:02:05" */
static void format_eta(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 360000)
        s = 0;
    long t = lround(s);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

static void label(const cli_progress *p, const vn_fit_progress *fp, char *buf, size_t n)
{
    if (fp->event == VN_FIT_EVALUATE)
        snprintf(buf, n, "%s", p->what ? p->what : "eval");
    else
        snprintf(buf, n, "epoch %d/%d", fp->epoch, fp->epochs);
}

static void draw_bar(cli_progress *p, const vn_fit_progress *fp)
{
    double frac = fp->steps_per_epoch > 0 ? (double)fp->step / (double)fp->steps_per_epoch : 0;
    int fill = (int)(frac * BAR_WIDTH);
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
    bar[BAR_WIDTH] = '\0';
    char eta[32], what[32];
    double per_step = fp->step > 0 ? fp->seconds / (double)fp->step : 0;
    format_eta(per_step * (double)(fp->steps_per_epoch - fp->step), eta, sizeof eta);
    label(p, fp, what, sizeof what);
    fprintf(stderr, "\r\033[K%s [%s] %3.0f%% %lld/%lld  %.0f img/s  loss %.4f  acc %.1f%%  ETA %s",
            what, bar, 100.0 * frac, (long long)fp->step, (long long)fp->steps_per_epoch,
            fp->images_per_s, fp->loss, 100.0 * fp->accuracy, eta);
    fflush(stderr);
    p->bar_shown = true;
}

static void plain_line(cli_progress *p, const vn_fit_progress *fp)
{
    if (fp->epoch != p->last_epoch) {
        p->last_epoch = fp->epoch;
        p->last_quarter = 0;
    }
    int quarter = fp->steps_per_epoch > 0 ? (int)(4 * fp->step / fp->steps_per_epoch) : 0;
    if (quarter <= p->last_quarter || quarter >= 4)
        return;
    p->last_quarter = quarter;
    char what[32];
    label(p, fp, what, sizeof what);
    fprintf(stderr, "%s: %d%% (%lld/%lld), loss %.4f, accuracy %.2f%%, %.0f img/s\n", what,
            25 * quarter, (long long)fp->step, (long long)fp->steps_per_epoch, fp->loss,
            100.0 * fp->accuracy, fp->images_per_s);
}

void cli_progress_update(const vn_fit_progress *fp, void *user_data)
{
    cli_progress *p = user_data;
    if (p->quiet)
        return;
    if (fp->event == VN_FIT_EPOCH) {
        cli_progress_clear(p);
        fprintf(stderr, "epoch %d/%d: loss %.4f, accuracy %.2f%%", fp->epoch, fp->epochs,
                fp->loss, 100.0 * fp->accuracy);
        if (!isnan(fp->val_accuracy))
            fprintf(stderr, ", validation loss %.4f, accuracy %.2f%%", fp->val_loss,
                    100.0 * fp->val_accuracy);
        fprintf(stderr, ", %.0f img/s, %.1f s\n", fp->images_per_s, fp->seconds);
        return;
    }
    if (!p->tty) {
        if (fp->event == VN_FIT_BATCH)
            plain_line(p, fp);
        return;
    }
    double t = now();
    if (fp->step < fp->steps_per_epoch && t - p->last_draw < REDRAW_SECONDS)
        return;
    p->last_draw = t;
    draw_bar(p, fp);
}
