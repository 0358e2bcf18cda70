// The MLP memory's forward as ggml runs it: the honest peer of MlpForwardBenchmark. The same shapes (blocks of
// up [width -> ff], GELU, down [ff -> width], residual; then the [width -> vocab] head) and weight type, computed
// by ggml's CPU backend (the prebuilt v0.5.0 library memdec loads) on a persistent threadpool, as llama-bench runs
// it; each round pairs a read-bandwidth probe (libc memchr over 512 MiB, best of 2 passes: the method of memdec's
// MemoryBandwidth) with the forwards; the last column is the CPU time of all threads per forward (the compute
// cost, which a loaded machine does not inflate the way it inflates wall time). Built and run by scripts/bench/mlp-vs-ggml.sh.
//   ggml-mlp THREADS ROUNDS FORWARDS WIDTH FF BLOCKS VOCAB f32|q8_0
#include "ggml.h"
#include "ggml-cpu.h"
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

struct part { const char *p; size_t n; int found; };

static void *scan(void *arg) {
    struct part *s = arg;
    s->found = memchr(s->p, 0, s->n) != NULL;
    return NULL;
}

static double bandwidth(int threads) {
    size_t bytes = (size_t) 512 << 20;
    char *block = aligned_alloc(4096, bytes);
    memset(block, 0x5a, bytes);
    double best = 0;
    for (int pass = 0; pass < 2; pass++) {
        pthread_t th[64];
        struct part parts[64];
        size_t chunk = bytes / threads;
        double t0 = now();
        for (int t = 0; t < threads; t++) {
            parts[t] = (struct part) {block + t * chunk, t == threads - 1 ? bytes - t * chunk : chunk, 0};
            pthread_create(&th[t], NULL, scan, &parts[t]);
        }
        for (int t = 0; t < threads; t++) {
            pthread_join(th[t], NULL);
            if (parts[t].found) { fprintf(stderr, "probe found a byte it never wrote\n"); exit(1); }
        }
        double bw = bytes / (now() - t0);
        if (bw > best) best = bw;
    }
    free(block);
    return best;
}

static struct ggml_tensor *weight(struct ggml_context *ctx, enum ggml_type type, int cols, int rows, size_t *bytes) {
    struct ggml_tensor *w = ggml_new_tensor_2d(ctx, type, cols, rows);
    float *row = malloc(sizeof(float) * cols);
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) row[c] = ((float) rand() / RAND_MAX - 0.5f) * 0.1f;
        if (type == GGML_TYPE_F32) {
            memcpy((char *) w->data + (size_t) r * w->nb[1], row, sizeof(float) * cols);
        } else {
            ggml_quantize_chunk(type, row, (char *) w->data + (size_t) r * w->nb[1], 0, 1, cols, NULL);
        }
    }
    free(row);
    *bytes += ggml_nbytes(w);
    return w;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 9) {
        fprintf(stderr, "usage: ggml-mlp THREADS ROUNDS FORWARDS WIDTH FF BLOCKS VOCAB f32|q8_0\n");
        return 2;
    }
    int threads = atoi(argv[1]), rounds = atoi(argv[2]), forwards = atoi(argv[3]);
    int width = atoi(argv[4]), ff = atoi(argv[5]), blocks = atoi(argv[6]), vocab = atoi(argv[7]);
    enum ggml_type type = strcmp(argv[8], "q8_0") == 0 ? GGML_TYPE_Q8_0 : GGML_TYPE_F32;
    ggml_cpu_init();
    size_t weights = (size_t) (2 * blocks * width * ff + (size_t) vocab * width);
    struct ggml_init_params ip = {weights * 4 + ((size_t) 64 << 20), NULL, false};
    struct ggml_context *ctx = ggml_init(ip);
    size_t bytes = 0;
    struct ggml_tensor *x = ggml_new_tensor_1d(ctx, GGML_TYPE_F32, width);
    for (int i = 0; i < width; i++) ((float *) x->data)[i] = (float) rand() / RAND_MAX - 0.5f;
    struct ggml_tensor *cur = x;
    for (int b = 0; b < blocks; b++) {
        struct ggml_tensor *up = weight(ctx, type, width, ff, &bytes);
        struct ggml_tensor *down = weight(ctx, type, ff, width, &bytes);
        struct ggml_tensor *h = ggml_gelu(ctx, ggml_mul_mat(ctx, up, ggml_norm(ctx, cur, 1e-5f)));
        cur = ggml_add(ctx, cur, ggml_mul_mat(ctx, down, h));
    }
    struct ggml_tensor *head = weight(ctx, type, width, vocab, &bytes);
    struct ggml_tensor *logits = ggml_mul_mat(ctx, head, ggml_norm(ctx, cur, 1e-5f));
    struct ggml_cgraph *gf = ggml_new_graph(ctx);
    ggml_build_forward_expand(gf, logits);
    struct ggml_threadpool_params tpp = ggml_threadpool_params_default(threads);
    struct ggml_threadpool *tp = ggml_threadpool_new(&tpp);
    struct ggml_cplan plan = ggml_graph_plan(gf, threads, tp);
    plan.work_data = malloc(plan.work_size + 1);
    for (int i = 0; i < 3 * forwards; i++) ggml_graph_compute(gf, &plan); // warm-up
    double *cpums = malloc(sizeof(double) * rounds), *ms = malloc(sizeof(double) * rounds), *frac = malloc(sizeof(double) * rounds), *bw = malloc(sizeof(double) * rounds);
    for (int r = 0; r < rounds; r++) {
        bw[r] = bandwidth(threads);
        double t0 = now(), c0 = cpu();
        for (int i = 0; i < forwards; i++) ggml_graph_compute(gf, &plan);
        ms[r] = (now() - t0) * 1e3 / forwards;
        cpums[r] = (cpu() - c0) * 1e3 / forwards;
        frac[r] = bytes / bw[r] * 1e3 / ms[r];
    }
    double best = ms[0], bestf = frac[0];
    for (int r = 1; r < rounds; r++) { if (ms[r] < best) best = ms[r]; if (frac[r] > bestf) bestf = frac[r]; }
    qsort(ms, rounds, sizeof(double), cmp);
    qsort(frac, rounds, sizeof(double), cmp);
    qsort(bw, rounds, sizeof(double), cmp);
    qsort(cpums, rounds, sizeof(double), cmp);
    printf("| ggml %s (%d blocks x %d, ff %d, vocab %d) | %.1f | %.2f | %.2f / %.2f | %.2f / %.2f | %.2f |\n", argv[8],
           blocks, width, ff, vocab, bytes / 1e6, bw[rounds / 2] / 1e9, ms[rounds / 2], best, frac[rounds / 2], bestf,
           cpums[rounds / 2]);
    ggml_threadpool_free(tp);
    ggml_free(ctx);
    return 0;
}
