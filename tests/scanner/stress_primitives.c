/*
 * The lock-free primitives of the scanner under real threads, as a plain
 * program for the ThreadSanitizer build (Criterion's runner does not start
 * under TSan); their sequential properties are in test_<unit>.c.
 *
 *   idxq   N producers, M consumers: every value popped exactly once, each
 *          producer's values in its order; and as a free list (threads pop
 *          a value and push it back): a push never refused.
 *   lines  one producer, one consumer: every line whole, in order, intact.
 *   hindex threads insert, find and remove their own keys among the others'
 *          in shared buckets: each always finds its live entries, never one
 *          it removed.
 *   epoch  readers check a slot's stamp inside a read section while writers
 *          unlink, retire and reuse slots through their limbo: a slot never
 *          changes under a reader.
 *
 * Usage: stress_primitives [scale] (default 1; the work grows with it, the
 * run stops when the work is done, never on a clock). Exit 0 when every
 * check held. The small sizes make the threads meet on the same cells.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/epoch.h"
#include "scanner/hindex.h"
#include "scanner/idxq.h"
#include "scanner/lines.h"

static unsigned scale = 1;
static _Atomic unsigned failures;

/* Count a failure; print the first few. */
#define FAIL(...)                                               \
    do {                                                        \
        if (atomic_fetch_add(&failures, 1) < 10) {              \
            fprintf(stderr, "stress_primitives: " __VA_ARGS__); \
            fputc('\n', stderr);                                \
        }                                                       \
    } while (0)

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Each part's threads start together, so they overlap from the first step. */
static pthread_barrier_t go;

static void part_begin(unsigned nb_threads)
{
    if (pthread_barrier_init(&go, NULL, nb_threads) != 0)
        exit(1);
}

static void part_wait(void)
{
    (void)pthread_barrier_wait(&go);
}

static void part_end(void)
{
    (void)pthread_barrier_destroy(&go);
}

static void start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    if (pthread_create(t, NULL, fn, arg) != 0) {
        fprintf(stderr, "stress_primitives: pthread_create failed\n");
        exit(1);
    }
}

/* ---- idxq: MPMC ---------------------------------------------------------- */

#define Q_PROD 3
#define Q_CONS 3

static struct {
    struct scan_idxq q;
    uint32_t per_prod;
    _Atomic uint8_t *seen; /* pops per value */
    _Atomic uint32_t popped;
} qs;

static void *q_producer(void *arg)
{
    uint32_t p = (uint32_t)(uintptr_t)arg;
    part_wait();
    for (uint32_t i = 0; i < qs.per_prod; i++)
        while (!scan_idxq_push(&qs.q, p * qs.per_prod + i)) {
            /* Pops never outnumber pushes: all done means some counted twice. */
            if (atomic_load_explicit(&qs.popped, memory_order_relaxed) >= Q_PROD * qs.per_prod) {
                FAIL("idxq: %u pops counted before producer %u pushed its value %u",
                     Q_PROD * qs.per_prod, p, i);
                return NULL;
            }
            sched_yield();
        }
    return NULL;
}

static void *q_consumer(void *arg)
{
    (void)arg;
    const uint32_t total = Q_PROD * qs.per_prod;
    int64_t last[Q_PROD];
    for (unsigned p = 0; p < Q_PROD; p++)
        last[p] = -1;
    part_wait();
    while (atomic_load_explicit(&qs.popped, memory_order_relaxed) < total) {
        uint32_t v;
        if (!scan_idxq_pop(&qs.q, &v)) {
            sched_yield();
            continue;
        }
        atomic_fetch_add_explicit(&qs.popped, 1, memory_order_relaxed);
        if (v >= total) {
            FAIL("idxq: popped %u, never pushed", v);
            continue;
        }
        atomic_fetch_add_explicit(&qs.seen[v], 1, memory_order_relaxed);
        /* One queue: this consumer sees each producer's values in order. */
        uint32_t p = v / qs.per_prod, i = v % qs.per_prod;
        if ((int64_t)i <= last[p])
            FAIL("idxq: producer %u's value %u popped after its value %lld", p, i,
                 (long long)last[p]);
        last[p] = i;
    }
    return NULL;
}

static void stress_idxq(void)
{
    qs.per_prod = 20000 * scale;
    const uint32_t total = Q_PROD * qs.per_prod;
    qs.seen = calloc(total, sizeof(qs.seen[0]));
    if (qs.seen == NULL || scan_idxq_init(&qs.q, 16) != 0) {
        fprintf(stderr, "stress_primitives: out of memory\n");
        exit(1);
    }
    pthread_t t[Q_PROD + Q_CONS];
    part_begin(Q_PROD + Q_CONS);
    for (unsigned i = 0; i < Q_PROD; i++)
        start(&t[i], q_producer, (void *)(uintptr_t)i);
    for (unsigned i = 0; i < Q_CONS; i++)
        start(&t[Q_PROD + i], q_consumer, NULL);
    for (unsigned i = 0; i < Q_PROD + Q_CONS; i++)
        pthread_join(t[i], NULL);
    part_end();
    unsigned lost = 0, twice = 0;
    for (uint32_t v = 0; v < total; v++) {
        unsigned n = atomic_load(&qs.seen[v]);
        if (n != 1 && lost + twice < 5)
            FAIL("idxq: value %u popped %u times", v, n);
        lost += n == 0;
        twice += n > 1;
    }
    uint32_t left;
    if (scan_idxq_pop(&qs.q, &left))
        FAIL("idxq: value %u left over", left);
    printf("stress_primitives: idxq: %u producers, %u consumers, %u values, %u lost, %u popped "
           "more than once\n",
           Q_PROD, Q_CONS, total, lost, twice);
    scan_idxq_fini(&qs.q);
    free(qs.seen);
}

/*
 * A free list, as the scanner uses them: a fixed set of values, fewer than
 * the queue holds, each popped by a thread and pushed back by it. A push
 * then always has room, even while another thread is between taking a
 * value and releasing its cell.
 */
#define F_THREADS 4
#define F_VALUES  6 /* in a queue of 8 */

static struct {
    struct scan_idxq q;
    unsigned steps;
    _Atomic uint8_t held[F_VALUES];
} fl;

static void *f_worker(void *arg)
{
    unsigned t = (unsigned)(uintptr_t)arg;
    part_wait();
    for (unsigned step = 0; step < fl.steps; step++) {
        uint32_t v;
        while (!scan_idxq_pop(&fl.q, &v))
            sched_yield();
        if (v >= F_VALUES || atomic_exchange(&fl.held[v], 1) != 0) {
            FAIL("idxq free list: thread %u popped %u, never pushed or held already", t, v);
            return NULL;
        }
        atomic_store(&fl.held[v], 0);
        if (!scan_idxq_push(&fl.q, v)) {
            FAIL("idxq free list: thread %u step %u: push refused with at most %u of %zu values "
                 "queued",
                 t, step, F_VALUES, (size_t)fl.q.mask + 1);
            return NULL;
        }
    }
    return NULL;
}

static void stress_free_list(void)
{
    fl.steps = 50000 * scale;
    if (scan_idxq_init(&fl.q, 8) != 0) {
        fprintf(stderr, "stress_primitives: out of memory\n");
        exit(1);
    }
    for (uint32_t v = 0; v < F_VALUES; v++)
        if (!scan_idxq_push(&fl.q, v))
            exit(1);
    pthread_t t[F_THREADS];
    part_begin(F_THREADS);
    for (unsigned i = 0; i < F_THREADS; i++)
        start(&t[i], f_worker, (void *)(uintptr_t)i);
    for (unsigned i = 0; i < F_THREADS; i++)
        pthread_join(t[i], NULL);
    part_end();
    unsigned n = 0;
    uint32_t v;
    while (scan_idxq_pop(&fl.q, &v))
        n++;
    if (n != F_VALUES && atomic_load(&failures) == 0)
        FAIL("idxq free list: %u values at the end, want %u", n, F_VALUES);
    printf("stress_primitives: idxq free list: %u threads, %u pops and pushes each, %u values in "
           "a queue of %zu\n",
           F_THREADS, fl.steps, F_VALUES, (size_t)fl.q.mask + 1);
    scan_idxq_fini(&fl.q);
}

/* ---- lines: SPSC --------------------------------------------------------- */

static struct {
    struct scan_lines r;
    unsigned nb;
    _Atomic bool done; /* the producer has put its last line */
} ls;

/* Line n's length: 8..300 octets, and every 500th the largest, cap / 2. */
static size_t line_len(unsigned n)
{
    return n % 500 == 499 ? ls.r.cap / 2 : 8 + (n * 2654435761u) % 293u;
}

static void line_make(char *buf, unsigned n)
{
    size_t len = line_len(n);
    int k = snprintf(buf, len, "%u:", n % 1000000u);
    for (size_t i = (size_t)k; i + 1 < len; i++)
        buf[i] = (char)('a' + (n + i) % 26);
    buf[len - 1] = '\n';
}

static void *lines_producer(void *arg)
{
    (void)arg;
    char *line = malloc(ls.r.cap);
    if (line == NULL)
        exit(1);
    for (unsigned n = 0; n < ls.nb; n++) {
        line_make(line, n);
        while (!scan_lines_put(&ls.r, line, line_len(n)))
            sched_yield();
    }
    free(line);
    atomic_store(&ls.done, true);
    return NULL;
}

static void stress_lines(void)
{
    ls.nb = 30000 * scale;
    if (scan_lines_init(&ls.r, 4096) != 0) {
        fprintf(stderr, "stress_primitives: out of memory\n");
        exit(1);
    }
    char *out = malloc(ls.r.cap), *want = malloc(ls.r.cap);
    if (out == NULL || want == NULL)
        exit(1);
    pthread_t t;
    start(&t, lines_producer, NULL);
    unsigned next = 0, takes = 0;
    unsigned long long octets = 0;
    while (next < ls.nb && atomic_load(&failures) == 0) {
        size_t n = scan_lines_take(&ls.r, out, ls.r.cap);
        if (n == 0) {
            sched_yield();
            continue;
        }
        takes++;
        octets += n;
        /* The take holds whole lines: the next ones, exactly. */
        size_t at = 0;
        while (at < n && next < ls.nb) {
            size_t len = line_len(next);
            line_make(want, next);
            if (n - at < len) {
                FAIL("lines: line %u cut: %zu of its %zu octets in a take", next, n - at, len);
                break;
            }
            if (memcmp(out + at, want, len) != 0) {
                FAIL("lines: line %u (%zu octets) differs: \"%.20s\"", next, len, out + at);
                break;
            }
            at += len;
            next++;
        }
        if (at != n && atomic_load(&failures) == 0)
            FAIL("lines: %zu octets after line %u", n - at, next);
    }
    /* After a failure, let the producer finish into a ring nobody checks. */
    while (!atomic_load(&ls.done))
        if (scan_lines_take(&ls.r, out, ls.r.cap) == 0)
            sched_yield();
    pthread_join(t, NULL);
    if (atomic_load(&failures) != 0)
        (void)scan_lines_take(&ls.r, out, ls.r.cap);
    if (!scan_lines_empty(&ls.r) && atomic_load(&failures) == 0)
        FAIL("lines: octets left after the last line");
    printf("stress_primitives: lines: %u lines of %u, %llu octets, %u takes, ring of %zu\n", next,
           ls.nb, octets, takes, ls.r.cap);
    scan_lines_fini(&ls.r);
    free(out);
    free(want);
}

/* ---- hindex: insert / find / remove ---------------------------------------- */

#define H_THREADS 4
#define H_KEYS    24 /* per thread; 96 keys, about half live, in 64 cells */

static struct {
    struct scan_hindex h;
    unsigned steps;
    _Atomic unsigned live_total;
} hs;

static uint64_t h_hash(unsigned t, unsigned k)
{
    return mix64(0x1234567ull + t * 1000u + k);
}

static bool h_present(uint64_t hash, uint32_t ref, bool by_tag)
{
    uint32_t refs[2 * SCAN_HINDEX_WAYS];
    unsigned n = by_tag ? scan_hindex_find(&hs.h, hash, refs, 2 * SCAN_HINDEX_WAYS)
                        : scan_hindex_occupants(&hs.h, hash, refs, 2 * SCAN_HINDEX_WAYS);
    bool found = false;
    for (unsigned i = 0; i < n; i++) {
        if (refs[i] >= H_THREADS * H_KEYS)
            FAIL("hindex: a cell holds ref %u, never inserted", refs[i]);
        found |= refs[i] == ref;
    }
    return found;
}

static void *h_worker(void *arg)
{
    unsigned t = (unsigned)(uintptr_t)arg;
    bool live[H_KEYS] = { false };
    uint64_t rng = 0x9E3779B97F4A7C15ull * (t + 1);
    unsigned refused = 0;
    part_wait();
    for (unsigned step = 0; step < hs.steps; step++) {
        if (step % 64 == 0)
            sched_yield(); /* four threads on fewer cores: take turns often */
        unsigned k = (unsigned)(rng_next(&rng) % H_KEYS);
        uint64_t hash = h_hash(t, k);
        uint32_t ref = t * H_KEYS + k;
        if (live[k]) {
            if (!h_present(hash, ref, true) || !h_present(hash, ref, false))
                FAIL("hindex: thread %u step %u: its live key %u is gone", t, step, k);
            scan_hindex_remove(&hs.h, hash, ref);
            live[k] = false;
            if (h_present(hash, ref, true) || h_present(hash, ref, false))
                FAIL("hindex: thread %u step %u: key %u still there after its remove", t, step, k);
        } else if (scan_hindex_insert(&hs.h, hash, ref)) {
            live[k] = true;
            if (!h_present(hash, ref, true))
                FAIL("hindex: thread %u step %u: key %u not found after its insert", t, step, k);
        } else {
            refused++; /* both buckets full of others' keys: fine */
        }
        /* Someone else's key: whatever the answer, only refs ever inserted. */
        (void)h_present(h_hash((t + 1) % H_THREADS, k), UINT32_MAX, true);
    }
    unsigned n = 0;
    for (unsigned k = 0; k < H_KEYS; k++) {
        n += live[k];
        if (live[k] && !h_present(h_hash(t, k), t * H_KEYS + k, true))
            FAIL("hindex: thread %u: live key %u gone at the end", t, k);
    }
    atomic_fetch_add(&hs.live_total, n);
    return (void *)(uintptr_t)refused;
}

static void stress_hindex(void)
{
    hs.steps = 20000 * scale;
    if (scan_hindex_init(&hs.h, 32) != 0) {
        fprintf(stderr, "stress_primitives: out of memory\n");
        exit(1);
    }
    pthread_t t[H_THREADS];
    part_begin(H_THREADS);
    for (unsigned i = 0; i < H_THREADS; i++)
        start(&t[i], h_worker, (void *)(uintptr_t)i);
    unsigned refused = 0;
    for (unsigned i = 0; i < H_THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        refused += (unsigned)(uintptr_t)r;
    }
    part_end();
    size_t cells = (hs.h.bucket_mask + 1) * SCAN_HINDEX_WAYS, used = 0;
    for (size_t c = 0; c < cells; c++)
        used += atomic_load(&hs.h.cells[c]) != 0;
    if (used != atomic_load(&hs.live_total))
        FAIL("hindex: %zu cells in use, %u entries live", used, atomic_load(&hs.live_total));
    printf("stress_primitives: hindex: %u threads, %u steps each, %zu cells, %u inserts refused "
           "(full), %zu live at the end\n",
           H_THREADS, hs.steps, cells, refused, used);
    scan_hindex_fini(&hs.h);
}

/* ---- epoch: reclamation under readers ------------------------------------ */

#define E_WRITERS 2
#define E_READERS 2
#define E_KEYS    4
#define E_SLOTS   (E_KEYS + 2) /* few spare: a released slot is soon reused */
#define E_WORDS   4

struct e_slot {
    _Atomic uint64_t stamp;    /* a new value at every reuse */
    uint64_t payload[E_WORDS]; /* plain memory: TSan sees any unsafe reuse */
};

static struct {
    struct scan_epoch e;
    struct scan_idxq free;
    struct e_slot slot[E_SLOTS];
    _Atomic uint32_t dir[E_KEYS]; /* slot + 1, or 0: the "index" */
    _Atomic uint64_t stamps;
    _Atomic unsigned writers_left;
    unsigned steps, min_checks;
    _Atomic unsigned checks;
    _Atomic unsigned waits;
} es;

static uint64_t e_word(uint64_t stamp, unsigned i)
{
    return mix64(stamp * E_WORDS + i);
}

/* The scanner's reclaim: advance, then give back what is past its grace. */
static void e_reclaim(struct scan_limbo *l)
{
    (void)scan_epoch_advance(&es.e);
    uint32_t ref;
    while (l != NULL && scan_limbo_get(l, &es.e, &ref))
        if (!scan_idxq_push(&es.free, ref))
            FAIL("epoch: free list overflow");
}

static void *e_writer(void *arg)
{
    unsigned w = (unsigned)(uintptr_t)arg;
    struct scan_limbo limbo;
    if (scan_limbo_init(&limbo, E_SLOTS) != 0)
        exit(1);
    uint64_t rng = 0xC0FFEEull + w;
    unsigned done = 0, waits = 0;
    part_wait();
    /* The work is both: this many reuses, and that many reader checks. */
    while (done < es.steps || atomic_load(&es.checks) < es.min_checks) {
        /* A slot past its grace period, or wait for one. */
        uint32_t s;
        if (!scan_idxq_pop(&es.free, &s)) {
            e_reclaim(&limbo);
            sched_yield();
            waits++;
            continue;
        }
        struct e_slot *sl = &es.slot[s];
        uint64_t stamp = atomic_fetch_add(&es.stamps, 1) + 1;
        atomic_store_explicit(&sl->stamp, stamp, memory_order_relaxed);
        for (unsigned i = 0; i < E_WORDS; i++)
            sl->payload[i] = e_word(stamp, i);
        /* Writer w owns the keys k with k % E_WRITERS == w: replace k's slot. */
        unsigned k = w + E_WRITERS * (unsigned)(rng_next(&rng) % (E_KEYS / E_WRITERS));
        scan_epoch_enter(&es.e, w);
        uint32_t old = atomic_exchange(&es.dir[k], s + 1);
        if (old != 0 && !scan_limbo_put(&limbo, old - 1,
                                        atomic_load_explicit(&es.e.global, memory_order_acquire)))
            FAIL("epoch: limbo overflow");
        scan_epoch_exit(&es.e, w);
        e_reclaim(&limbo);
        done++;
    }
    atomic_fetch_add(&es.waits, waits);
    /* Keep giving back this limbo's slots until the other writer is done. */
    atomic_fetch_sub(&es.writers_left, 1);
    while (atomic_load(&es.writers_left) > 0) {
        e_reclaim(&limbo);
        sched_yield();
    }
    scan_limbo_fini(&limbo);
    return NULL;
}

static void *e_reader(void *arg)
{
    unsigned w = (unsigned)(uintptr_t)arg;
    uint64_t rng = 0xBEEFull + w;
    part_wait();
    while (atomic_load(&es.writers_left) > 0) {
        unsigned k = (unsigned)(rng_next(&rng) % E_KEYS);
        scan_epoch_enter(&es.e, w);
        uint32_t v = atomic_load_explicit(&es.dir[k], memory_order_acquire);
        if (v != 0) {
            struct e_slot *sl = &es.slot[v - 1];
            uint64_t stamp = atomic_load_explicit(&sl->stamp, memory_order_relaxed);
            /* Hold it across other threads' steps, then look again. */
            for (unsigned round = 0; round < 2; round++) {
                unsigned changed = 0;
                for (unsigned i = 0; i < E_WORDS; i++)
                    changed += sl->payload[i] != e_word(stamp, i);
                if (changed != 0)
                    FAIL("epoch: slot %u changed under a reader (%u words, look %u)", v - 1,
                         changed, round);
                if (round == 0)
                    sched_yield();
            }
            uint64_t again = atomic_load_explicit(&sl->stamp, memory_order_relaxed);
            if (again != stamp)
                FAIL("epoch: slot %u reused under a reader (stamp %llu, then %llu)", v - 1,
                     (unsigned long long)stamp, (unsigned long long)again);
            atomic_fetch_add(&es.checks, 1);
        }
        scan_epoch_exit(&es.e, w);
        e_reclaim(NULL);
    }
    return NULL;
}

static void stress_epoch(void)
{
    es.steps = 20000 * scale;
    es.min_checks = 10000 * scale;
    scan_epoch_init(&es.e, E_WRITERS + E_READERS);
    if (scan_idxq_init(&es.free, E_SLOTS) != 0) {
        fprintf(stderr, "stress_primitives: out of memory\n");
        exit(1);
    }
    for (uint32_t s = 0; s < E_SLOTS; s++) {
        atomic_init(&es.slot[s].stamp, 0);
        if (!scan_idxq_push(&es.free, s))
            exit(1);
    }
    atomic_init(&es.writers_left, E_WRITERS);
    pthread_t t[E_WRITERS + E_READERS];
    part_begin(E_WRITERS + E_READERS);
    for (unsigned i = 0; i < E_WRITERS; i++)
        start(&t[i], e_writer, (void *)(uintptr_t)i);
    for (unsigned i = 0; i < E_READERS; i++)
        start(&t[E_WRITERS + i], e_reader, (void *)(uintptr_t)(E_WRITERS + i));
    for (unsigned i = 0; i < E_WRITERS + E_READERS; i++)
        pthread_join(t[i], NULL);
    part_end();
    printf("stress_primitives: epoch: %u writers, %u readers, %u slots, %u reuses or more each, %u "
           "waits "
           "for a free slot, %u reader checks, epoch %llu\n",
           E_WRITERS, E_READERS, E_SLOTS, es.steps, atomic_load(&es.waits), atomic_load(&es.checks),
           (unsigned long long)atomic_load(&es.e.global));
    scan_idxq_fini(&es.free);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        scale = (unsigned)atoi(argv[1]);
    if (scale == 0)
        scale = 1;
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* In order of dependence (epoch uses a queue): stop at the first failure. */
    static void (*const parts[])(void) = { stress_idxq, stress_free_list, stress_lines,
                                           stress_hindex, stress_epoch };
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        parts[i]();
        unsigned f = atomic_load(&failures);
        if (f != 0) {
            fprintf(stderr, "stress_primitives: %u checks failed\n", f);
            return 1;
        }
    }
    printf("stress_primitives: all checks held\n");
    return 0;
}
