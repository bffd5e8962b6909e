using System.Runtime.Intrinsics;

namespace Nabla.Backends.Cpu.Kernels.Codegen;

/// <summary>
/// The end of a generated row loop's reduction, as <see cref="RowReducer"/> ends its four-accumulator loop: the
/// accumulators combined pairwise ((a0, a1), (a2, a3)), then folded lane by lane from lane 0. Called from generated code.
/// </summary>
internal static class RowFold
{
    public static T Fold512<T, TOp>(Vector512<T> a0, Vector512<T> a1, Vector512<T> a2, Vector512<T> a3) where T : unmanaged where TOp : IReduceOp<T>
    {
        var v = TOp.Invoke(TOp.Invoke(a0, a1), TOp.Invoke(a2, a3));
        T result = v[0];
        for (int l = 1; l < Vector512<T>.Count; l++) result = TOp.Invoke(result, v[l]);
        return result;
    }

    public static T Fold256<T, TOp>(Vector256<T> a0, Vector256<T> a1, Vector256<T> a2, Vector256<T> a3) where T : unmanaged where TOp : IReduceOp<T>
    {
        var v = TOp.Invoke(TOp.Invoke(a0, a1), TOp.Invoke(a2, a3));
        T result = v[0];
        for (int l = 1; l < Vector256<T>.Count; l++) result = TOp.Invoke(result, v[l]);
        return result;
    }

    /// <summary><paramref name="acc"/> combined with <paramref name="values"/> one by one, as RowReducer's scalar tail.</summary>
    public static T Sequential<T, TOp>(T acc, ReadOnlySpan<T> values) where T : unmanaged where TOp : IReduceOp<T>
    {
        foreach (var v in values) acc = TOp.Invoke(acc, v);
        return acc;
    }
}
