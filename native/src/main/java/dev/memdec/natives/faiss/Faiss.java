package dev.memdec.natives.faiss;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.MemberGetter;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Namespace;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.StdString;

/**
 * JavaCPP peer of the small part of faiss's C++ API that memdec uses. {@code javacpp:build} compiles it
 * into {@code libjniFaiss.so} with Debian's static {@code libfaiss.a} inside (dependencies.md §2.2).
 * Use {@link FaissIndex}; this class only mirrors C++ signatures.
 *
 * <p>{@code link} lists OpenBLAS before faiss because JavaCPP emits link libraries in reverse order, and
 * the build passes {@code -Wl,--no-undefined} so a wrong order fails the build instead of the first call.
 * C++ exceptions (faiss's {@code FaissException}) arrive as {@link RuntimeException} carrying faiss's message.
 */
@Platform(include = {"<faiss/Index.h>", "<faiss/index_factory.h>", "<faiss/index_io.h>", "<faiss/AutoTune.h>",
        "<cblas.h>"},
        link = {"openblas", "faiss"})
@Namespace("faiss")
final class Faiss {
    static {
        Loader.load();
    }

    private Faiss() {
    }

    /** faiss::METRIC_L2: results are squared L2 distances. */
    static final int METRIC_L2 = 1;

    @Name("Index")
    static class Index extends Pointer {
        static {
            Loader.load();
        }

        Index(Pointer p) {
            super(p);
        }

        @MemberGetter
        native int d();

        @MemberGetter
        @Cast("int64_t")
        native long ntotal();

        @MemberGetter
        @Cast("bool")
        native boolean is_trained();

        native void train(@Cast("faiss::Index::idx_t") long n, @Const FloatPointer x);

        native void add_with_ids(@Cast("faiss::Index::idx_t") long n, @Const FloatPointer x,
                @Cast("const faiss::Index::idx_t*") LongPointer ids);

        native void search(@Cast("faiss::Index::idx_t") long n, @Const FloatPointer x,
                @Cast("faiss::Index::idx_t") long k, FloatPointer distances,
                @Cast("faiss::Index::idx_t*") LongPointer labels);
    }

    @Name("ParameterSpace")
    static class ParameterSpace extends Pointer {
        static {
            Loader.load();
        }

        ParameterSpace() {
            allocate();
        }

        private native void allocate();

        native void set_index_parameter(Index index, @StdString String name, double value);
    }

    /** Returns a new C++ object owned by the caller: free it with {@link #delete(Index)}. */
    static native Index index_factory(int d, String description, @Cast("faiss::MetricType") int metric);

    static native void write_index(@Const Index index, String fname);

    /** Returns a new C++ object owned by the caller: free it with {@link #delete(Index)}. */
    static native Index read_index(String fname, int ioFlags);

    @Namespace
    @Name("delete")
    static native void delete(Index index);

    /** From OpenBLAS's cblas.h; its pthreads and faiss's OpenMP oversubscribe small machines (dependencies.md §2.6). */
    @Namespace
    static native void openblas_set_num_threads(int n);
}
