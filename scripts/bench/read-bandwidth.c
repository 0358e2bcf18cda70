/*
 * Independent read-bandwidth check for `memdec bench`: each of T threads sums its share of a B-byte array of
 * 64-bit words (4 accumulators, so the compiler can vectorise), best of P passes. Build and run through
 * scripts/bench/read-bandwidth.sh; the figure is comparable with bench's "read bandwidth" row.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { const uint64_t *from; size_t n; uint64_t sum; } part_t;

static void *sum_part(void *arg) {
    part_t *p = arg;
    uint64_t a = 0, b = 0, c = 0, d = 0;
    size_t i = 0;
    for (; i + 4 <= p->n; i += 4) {
        a += p->from[i]; b += p->from[i + 1]; c += p->from[i + 2]; d += p->from[i + 3];
    }
    for (; i < p->n; i++) a += p->from[i];
    p->sum = a + b + c + d;
    return NULL;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: read-bandwidth BYTES THREADS PASSES\n");
        return 2;
    }
    size_t bytes = strtoull(argv[1], NULL, 10);
    int threads = atoi(argv[2]), passes = atoi(argv[3]);
    if (bytes < 4096 || threads < 1 || threads > 1024 || passes < 1) {
        fprintf(stderr, "read-bandwidth: BYTES >= 4096, THREADS in [1, 1024], PASSES >= 1\n");
        return 2;
    }
    size_t words = bytes / 8;
    uint64_t *data = malloc(words * 8);
    if (!data) {
        fprintf(stderr, "read-bandwidth: cannot allocate %zu bytes\n", bytes);
        return 1;
    }
    memset(data, 0x5a, words * 8); /* real pages, not the shared zero page */
    pthread_t *tid = calloc(threads, sizeof *tid);
    part_t *parts = calloc(threads, sizeof *parts);
    double best = 0;
    uint64_t check = 0;
    for (int p = 0; p < passes; p++) {
        double t0 = now();
        size_t chunk = words / threads;
        for (int t = 0; t < threads; t++) {
            parts[t].from = data + t * chunk;
            parts[t].n = t == threads - 1 ? words - t * chunk : chunk;
            pthread_create(&tid[t], NULL, sum_part, &parts[t]);
        }
        for (int t = 0; t < threads; t++) {
            pthread_join(tid[t], NULL);
            check += parts[t].sum;
        }
        double s = now() - t0;
        if (words * 8 / s > best) best = words * 8 / s;
    }
    printf("{\"read_bandwidth_bytes_per_second\": %.0f, \"bytes\": %zu, \"threads\": %d, \"passes\": %d, \"check\": %llu}\n",
           best, words * 8, threads, passes, (unsigned long long) (check & 1));
    free(parts);
    free(tid);
    free(data);
    return 0;
}
