using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Bench;

/// <summary>
/// OpenBLAS, loaded at run time by the bench only (the library never references it), as the machine's
/// reference for what a tuned float32 GEMM reaches on these cores. Debian ships it as
/// <c>libopenblas0-pthread</c>; a machine without it gets <see cref="Unavailable"/> with the reason, and
/// the rows that need it are skipped instead of failing.
/// </summary>
internal sealed unsafe class OpenBlas
{
    // CBLAS enum values (cblas.h): row-major storage, no transposition.
    const int RowMajor = 101;
    const int NoTrans = 111;

    /// <summary>Where Debian, Ubuntu and the usual loader paths put it; the first that loads wins.</summary>
    static readonly string[] Candidates =
    [
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "libopenblas.so.0",
        "libopenblas.so",
        "libopenblas.dylib",
        "libopenblas.dll",
    ];

    static readonly Lazy<(OpenBlas? Library, string Reason)> Loaded = new(Load);

    readonly delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm;
    readonly delegate* unmanaged[Cdecl]<int, void> setNumThreads;

    /// <summary>The loaded library, or null when no candidate loads (see <see cref="Unavailable"/>).</summary>
    public static OpenBlas? Instance => Loaded.Value.Library;

    /// <summary>Why <see cref="Instance"/> is null; empty when it is not.</summary>
    public static string Unavailable => Loaded.Value.Reason;

    /// <summary>The file that was loaded.</summary>
    public string Path { get; }

    /// <summary><c>openblas_get_config()</c>: version, build options and the kernel family it chose for this
    /// CPU (e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64").</summary>
    public string Config { get; }

    /// <summary><c>openblas_get_corename()</c>: the kernel family in use (e.g. "Haswell", "SkylakeX").</summary>
    public string Kernels { get; }

    OpenBlas(string path, IntPtr handle)
    {
        Path = path;
        sgemm = (delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(handle, "cblas_sgemm");
        setNumThreads = (delegate* unmanaged[Cdecl]<int, void>)NativeLibrary.GetExport(handle, "openblas_set_num_threads");
        Config = NativeLibrary.TryGetExport(handle, "openblas_get_config", out var config)
            ? Marshal.PtrToStringUTF8((IntPtr)((delegate* unmanaged[Cdecl]<byte*>)config)()) ?? "?"
            : "OpenBLAS (no openblas_get_config)";
        Kernels = NativeLibrary.TryGetExport(handle, "openblas_get_corename", out var corename)
            ? Marshal.PtrToStringUTF8((IntPtr)((delegate* unmanaged[Cdecl]<byte*>)corename)()) ?? "?"
            : "?";
    }

    /// <summary>What <see cref="Load"/> did about OPENBLAS_CORETYPE, for the stderr notes.</summary>
    public static string KernelChoice { get; private set; } = "";

    /// <summary>
    /// OpenBLAS picks its kernel family at load from the CPU's id, and releases before 0.3.22 (Debian 12 ships
    /// 0.3.21) do not know AMD Zen 4 and 5 as AVX-512 cores: they take the AVX2 "Haswell" kernels. The anchor
    /// is meant to be the best this CPU does, so where the CPU has the AVX-512 subsets the "SkylakeX" kernels
    /// use (F, BW, DQ, VL) and OPENBLAS_CORETYPE is unset or empty, it is set to SkylakeX before the library loads.
    /// Setting OPENBLAS_CORETYPE yourself (e.g. to Haswell) overrides this.
    /// </summary>
    static void ChooseKernels()
    {
        if (Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is { Length: > 0 } set)
            KernelChoice = $"OPENBLAS_CORETYPE={set} from the environment";
        else if (OperatingSystem.IsLinux() && Avx512F.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported)
        {
            // The runtime keeps its own copy of the environment: the native library reads libc's.
            if (setenv("OPENBLAS_CORETYPE", "SkylakeX", 1) != 0) throw new InvalidOperationException("setenv failed");
            KernelChoice = "OPENBLAS_CORETYPE=SkylakeX set by the bench (AVX-512 CPU; set OPENBLAS_CORETYPE to override)";
        }
        else
            KernelChoice = "OpenBLAS's own choice of kernels";
    }

    [DllImport("libc", CharSet = CharSet.Ansi)]
    static extern int setenv(string name, string value, int overwrite);

    static (OpenBlas?, string) Load()
    {
        ChooseKernels();
        var failures = new List<string>();
        foreach (var path in Candidates)
        {
            if (!NativeLibrary.TryLoad(path, out var handle))
            {
                failures.Add(path);
                continue;
            }
            if (NativeLibrary.TryGetExport(handle, "cblas_sgemm", out _) && NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out _))
                return (new OpenBlas(path, handle), "");
            failures.Add($"{path} (loads, but lacks cblas_sgemm or openblas_set_num_threads)");
        }
        return (null, $"OpenBLAS not found (tried {string.Join(", ", failures)}); on Debian: apt-get install libopenblas0-pthread");
    }

    /// <summary>How many threads OpenBLAS's own pool uses for the next calls.</summary>
    public void SetThreads(int threads) => setNumThreads(threads);

    /// <summary>C = A·B for row-major float32 matrices, A [m, k], B [k, n], C [m, n] (C is overwritten).</summary>
    public void Sgemm(float[] a, float[] b, float[] c, int m, int n, int k)
    {
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"arrays too short for [{m}, {k}]·[{k}, {n}]");
        fixed (float* pa = a, pb = b, pc = c)
            sgemm(RowMajor, NoTrans, NoTrans, m, n, k, 1f, pa, k, pb, n, 0f, pc, n);
    }
}
