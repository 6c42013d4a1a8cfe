/*
 * threadpool.c - the library's own small pthread pool.
 *
 * One process-wide pool of worker threads, started lazily and grown when
 * vn_set_num_threads() asks for more. A parallel call hands out tasks from
 * an atomic counter to the calling thread plus up to vn__num_threads()-1
 * workers; the caller takes part, then waits until the last task is done.
 *
 * Waiting: spin briefly, then sleep. A sleeping thread costs some 50 us to
 * wake on these virtual machines (the idle vCPU is halted), which is more
 * than many parallel calls take: a batch-1 resnet18 makes ~50 of them per
 * image, a training step of the reference CNN some 30. So a worker that
 * finishes a job watches for the next one for 150 us (the caller's serial
 * work between two calls is usually shorter), and the caller watches for
 * the last worker for as long, before each sleeps on a condition variable.
 * Past that nothing spins: an idle pool burns no CPU (the test
 * test_idle_pool_threads_sleep checks it).
 *
 * One parallel call owns the pool at a time. A second call made meanwhile
 * (from another application thread, or nested inside a task) does not wait
 * for it: it runs its tasks on its own thread, one after another. Results
 * are the same either way because a task never depends on the thread that
 * runs it.
 *
 * Why not OpenMP: an embedding program may have its own runtime, and the
 * global OpenMP state (thread counts, spinning policies) would be shared
 * with it. See docs/threads.md for the measurements behind the BLAS policy.
 */
#include "kernels/kernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define POOL_MAX_WORKERS 1023
/* How long a waiting thread spins before it sleeps, by default
 * (nanoseconds); the environment variable VN_SPIN_US overrides it
 * (0: never spin, as OMP_WAIT_POLICY=passive). */
#define SPIN_NS_DEFAULT 150000
#define SPIN_NS_MAX 100000000

typedef struct pool {
    pthread_mutex_t owner;      /* held by the call that owns the pool */
    pthread_mutex_t lock;       /* protects everything below */
    pthread_cond_t wake;        /* workers wait here for a new job */
    pthread_cond_t done;        /* the owner waits here for the workers */
    int nworkers;               /* threads started */
    _Atomic uint64_t generation; /* bumped for every job (under lock; read without to spin) */
    int participants;           /* workers (index < participants) that join the job */
    atomic_int pending;         /* participating workers not finished yet */
    vn__task_fn fn;
    void *ctx;
    int ntasks;
    atomic_int next;            /* next task to hand out */
    uint64_t start_generation[POOL_MAX_WORKERS]; /* generation when worker i started */
    pthread_t tid[POOL_MAX_WORKERS];
} pool;

static pool g_pool = {
    .owner = PTHREAD_MUTEX_INITIALIZER,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

static void run_tasks(pool *p)
{
    for (;;) {
        int t = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
        if (t >= p->ntasks)
            break;
        p->fn(p->ctx, t);
    }
}

static int64_t g_spin_ns = -1;
static pthread_once_t g_spin_once = PTHREAD_ONCE_INIT;

static void read_spin(void)
{
    const char *env = getenv("VN_SPIN_US");
    char *end = NULL;
    long long us = env ? strtoll(env, &end, 10) : -1;
    if (!env || end == env || *end || us < 0)
        g_spin_ns = SPIN_NS_DEFAULT;
    else
        g_spin_ns = us > SPIN_NS_MAX / 1000 ? SPIN_NS_MAX : (int64_t)us * 1000;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* What a thread spins for: a job after generation `seen` (a worker), or
 * no participating worker still running (the caller). */
static bool awaited(const pool *p, bool for_job, uint64_t seen)
{
    if (for_job)
        return atomic_load_explicit(&p->generation, memory_order_acquire) != seen;
    return atomic_load_explicit(&p->pending, memory_order_acquire) == 0;
}

/* Spin for up to g_spin_ns until awaited(); true when it happened (false:
 * go to sleep on the condition variable). */
static bool spin(const pool *p, bool for_job, uint64_t seen)
{
    if (g_spin_ns == 0)
        return false;
    const int64_t deadline = now_ns() + g_spin_ns;
    for (int i = 1;; i++) {
        if (awaited(p, for_job, seen))
            return true;
        cpu_relax();
        if (i % 32 == 0 && now_ns() > deadline)
            return false;
    }
}

static void *worker_main(void *arg)
{
    pool *p = &g_pool;
    int index = (int)(intptr_t)arg;
    pthread_mutex_lock(&p->lock);
    /* A worker started for a job must see that job as new: it was created
     * (under the lock) before the generation was bumped for it. */
    uint64_t seen = p->start_generation[index];
    for (;;) {
        /* A job is announced under the lock; reading its generation and
         * participants together (under the lock too) keeps a worker that
         * sat out one job from taking part in the next one twice. */
        if (atomic_load_explicit(&p->generation, memory_order_relaxed) == seen) {
            pthread_mutex_unlock(&p->lock);
            bool woke = spin(p, true, seen);
            pthread_mutex_lock(&p->lock);
            if (!woke)
                while (atomic_load_explicit(&p->generation, memory_order_relaxed) == seen)
                    pthread_cond_wait(&p->wake, &p->lock);
        }
        seen = atomic_load_explicit(&p->generation, memory_order_relaxed);
        if (index >= p->participants)
            continue;
        pthread_mutex_unlock(&p->lock);
        run_tasks(p);
        const bool last = atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1;
        pthread_mutex_lock(&p->lock);
        if (last) /* wake the caller if it went to sleep */
            pthread_cond_signal(&p->done);
    }
    return NULL;
}

/* Start workers until there are `want`; returns how many there are (fewer
 * when the system refuses threads). Called with p->lock held. */
static int grow_workers(pool *p, int want)
{
    while (p->nworkers < want) {
        pthread_t tid;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        p->start_generation[p->nworkers] = p->generation;
        int rc = pthread_create(&tid, &attr, worker_main, (void *)(intptr_t)p->nworkers);
        if (rc == 0)
            p->tid[p->nworkers] = tid;
        pthread_attr_destroy(&attr);
        if (rc != 0)
            break;
        p->nworkers++;
    }
    return p->nworkers;
}

void vn__parallel_tasks(int ntasks, vn__task_fn fn, void *ctx)
{
    if (ntasks <= 0)
        return;
    int threads = vn__num_threads();
    int helpers = VN_MIN(VN_MIN(threads, ntasks) - 1, POOL_MAX_WORKERS);
    pool *p = &g_pool;
    if (helpers <= 0 || pthread_mutex_trylock(&p->owner) != 0) {
        for (int t = 0; t < ntasks; t++)
            fn(ctx, t);
        return;
    }
    pthread_once(&g_spin_once, read_spin);
    pthread_mutex_lock(&p->lock);
    helpers = VN_MIN(helpers, grow_workers(p, helpers));
    p->fn = fn;
    p->ctx = ctx;
    p->ntasks = ntasks;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    p->participants = helpers;
    atomic_store_explicit(&p->pending, helpers, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    if (helpers > 0)
        pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);

    run_tasks(p);

    spin(p, false, 0);
    pthread_mutex_lock(&p->lock);
    while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0)
        pthread_cond_wait(&p->done, &p->lock);
    p->fn = NULL;
    p->ctx = NULL;
    pthread_mutex_unlock(&p->lock);
    pthread_mutex_unlock(&p->owner);
}

/* Below this many operations a call is not worth waking a thread for (a
 * wake-up costs some 10-50 us; 64k operations take about as long). */
#define MIN_PARALLEL_WORK 65536.0

int vn__parallel_ranges(int64_t n, double cost)
{
    if (n <= 1)
        return 1;
    double total = (double)n * (cost > 1.0 ? cost : 1.0);
    if (total < 2.0 * MIN_PARALLEL_WORK)
        return 1;
    int64_t r = (int64_t)(total / MIN_PARALLEL_WORK);
    r = VN_MIN(r, (int64_t)vn__num_threads());
    r = VN_MIN(r, n);
    return r < 1 ? 1 : (int)r;
}

typedef struct range_job {
    vn__range_fn fn;
    void *ctx;
    int64_t n;
    int ranges;
} range_job;

static void range_task(void *arg, int t)
{
    range_job *j = arg;
    int64_t begin = j->n * t / j->ranges;
    int64_t end = j->n * (t + 1) / j->ranges;
    if (end > begin)
        j->fn(j->ctx, begin, end);
}

void vn__parallel_for(int64_t n, double cost, vn__range_fn fn, void *ctx)
{
    if (n <= 0)
        return;
    int ranges = vn__parallel_ranges(n, cost);
    if (ranges <= 1) {
        fn(ctx, 0, n);
        return;
    }
    range_job j = {fn, ctx, n, ranges};
    vn__parallel_tasks(ranges, range_task, &j);
}

double vn__pool_cpu_seconds(void)
{
    double total = 0.0;
    pthread_mutex_lock(&g_pool.lock);
    for (int i = 0; i < g_pool.nworkers; i++) {
        clockid_t clock;
        struct timespec ts;
        if (pthread_getcpuclockid(g_pool.tid[i], &clock) == 0 && clock_gettime(clock, &ts) == 0)
            total += (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
    }
    pthread_mutex_unlock(&g_pool.lock);
    return total;
}

int vn__pool_started_threads(void)
{
    pthread_mutex_lock(&g_pool.lock);
    int n = g_pool.nworkers;
    pthread_mutex_unlock(&g_pool.lock);
    return n;
}
