using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Nabla.Backends.Cpu;

/// <summary>
/// The vector operations the GEMM micro-kernel needs, for one vector width. The kernel is written
/// once against this interface; struct implementations let the JIT specialise it per width and
/// element type, so it compiles to the same code as a hand-written Vector512 (or 256/128) loop.
/// </summary>
internal interface IGemmVector<T, TV> where T : unmanaged where TV : struct
{
    static abstract int Count { get; }
    static abstract TV Load(ref T source);
    static abstract TV Splat(T value);

    /// <summary>a*b + c; fused where the hardware has FMA.</summary>
    static abstract TV MultiplyAdd(TV a, TV b, TV c);
    static abstract TV Add(TV a, TV b);
    static abstract void Store(TV value, ref T destination);
}

internal readonly struct GemmVec512<T> : IGemmVector<T, Vector512<T>> where T : unmanaged
{
    public static int Count => Vector512<T>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Load(ref T s) => Vector512.LoadUnsafe(ref s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Splat(T v) => Vector512.Create(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Add(Vector512<T> a, Vector512<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<T> v, ref T d) => v.StoreUnsafe(ref d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MultiplyAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector512.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }
}

internal readonly struct GemmVec256<T> : IGemmVector<T, Vector256<T>> where T : unmanaged
{
    public static int Count => Vector256<T>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Load(ref T s) => Vector256.LoadUnsafe(ref s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Splat(T v) => Vector256.Create(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Add(Vector256<T> a, Vector256<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<T> v, ref T d) => v.StoreUnsafe(ref d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MultiplyAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector256.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }
}

internal readonly struct GemmVec128<T> : IGemmVector<T, Vector128<T>> where T : unmanaged
{
    public static int Count => Vector128<T>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Load(ref T s) => Vector128.LoadUnsafe(ref s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Splat(T v) => Vector128.Create(v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<T> Add(Vector128<T> a, Vector128<T> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<T> v, ref T d) => v.StoreUnsafe(ref d);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<T> MultiplyAdd(Vector128<T> a, Vector128<T> b, Vector128<T> c)
    {
        if (typeof(T) == typeof(float)) return Vector128.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector128.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }
}

/// <summary>
/// The register tile: C[MR x NR] (+)= Ap · Bp over one packed KC block, MR = 6 rows, NR = two vectors.
/// Ap holds MR values per k step (one per row), Bp holds NR values per k step. The 12 accumulators,
/// two B vectors and one broadcast A value fit in the 16 registers of AVX2 as well as AVX-512's 32.
/// Each output element is one accumulator chain in increasing k, so its value never depends on how
/// the work was split across threads.
/// </summary>
internal static class GemmMicroKernel<T, TV, TOps>
    where T : unmanaged where TV : struct where TOps : IGemmVector<T, TV>
{
    public const int MR = 6;

    public static int NR => 2 * TOps.Count;

    /// <summary>Benchmarks switch the C prefetch off to compare (it changes no arithmetic).</summary>
    internal static bool PrefetchC { get; set; } = true;

    /// <summary>Writes (or adds, when <paramref name="accumulate"/>) the MR x NR tile at <paramref name="c"/> with row stride <paramref name="ldc"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(ref T a, ref T b, int kc, ref T c, nint ldc, bool accumulate)
    {
        nint w = TOps.Count;
        if (PrefetchC && kc >= 32) Prefetch(ref c, ldc, w);
        TV c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TV c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            TV b0 = TOps.Load(ref b), b1 = TOps.Load(ref Unsafe.Add(ref b, w));
            TV x = TOps.Splat(a);
            c00 = TOps.MultiplyAdd(x, b0, c00); c01 = TOps.MultiplyAdd(x, b1, c01);
            x = TOps.Splat(Unsafe.Add(ref a, 1));
            c10 = TOps.MultiplyAdd(x, b0, c10); c11 = TOps.MultiplyAdd(x, b1, c11);
            x = TOps.Splat(Unsafe.Add(ref a, 2));
            c20 = TOps.MultiplyAdd(x, b0, c20); c21 = TOps.MultiplyAdd(x, b1, c21);
            x = TOps.Splat(Unsafe.Add(ref a, 3));
            c30 = TOps.MultiplyAdd(x, b0, c30); c31 = TOps.MultiplyAdd(x, b1, c31);
            x = TOps.Splat(Unsafe.Add(ref a, 4));
            c40 = TOps.MultiplyAdd(x, b0, c40); c41 = TOps.MultiplyAdd(x, b1, c41);
            x = TOps.Splat(Unsafe.Add(ref a, 5));
            c50 = TOps.MultiplyAdd(x, b0, c50); c51 = TOps.MultiplyAdd(x, b1, c51);
            a = ref Unsafe.Add(ref a, MR);
            b = ref Unsafe.Add(ref b, 2 * w);
        }
        StoreRow(ref c, w, c00, c01, accumulate);
        StoreRow(ref Unsafe.Add(ref c, ldc), w, c10, c11, accumulate);
        StoreRow(ref Unsafe.Add(ref c, 2 * ldc), w, c20, c21, accumulate);
        StoreRow(ref Unsafe.Add(ref c, 3 * ldc), w, c30, c31, accumulate);
        StoreRow(ref Unsafe.Add(ref c, 4 * ldc), w, c40, c41, accumulate);
        StoreRow(ref Unsafe.Add(ref c, 5 * ldc), w, c50, c51, accumulate);
    }

    // The tile's C rows are read (or written) once, after the k loop: on a large product they come from
    // memory, and six rows far apart defeat the hardware prefetcher. Asking for them now hides that wait
    // behind the kc steps of arithmetic (a short k loop hides little: no prefetch below 32 steps).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void Prefetch(ref T c, nint ldc, nint w)
    {
        if (!Sse.IsSupported) return;
        for (int r = 0; r < MR; r++)
        {
            ref T row = ref Unsafe.Add(ref c, r * ldc);
            Sse.Prefetch0(Unsafe.AsPointer(ref row));
            Sse.Prefetch0(Unsafe.AsPointer(ref Unsafe.Add(ref row, 2 * w - 1)));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreRow(ref T c, nint w, TV v0, TV v1, bool accumulate)
    {
        ref T c1 = ref Unsafe.Add(ref c, w);
        if (accumulate)
        {
            v0 = TOps.Add(TOps.Load(ref c), v0);
            v1 = TOps.Add(TOps.Load(ref c1), v1);
        }
        TOps.Store(v0, ref c);
        TOps.Store(v1, ref c1);
    }
}
