using System.Numerics;

namespace Nabla.Graphs;

/// <summary>
/// One dimension of a value in a graph traced with dynamic dimensions: <see cref="Coeff"/> times the
/// product of the symbols whose bits are set in <see cref="Symbols"/> (each symbol is one dynamic
/// dimension of an argument: s0, s1, ...). A constant when no bit is set. A flattened batch [B, 784] -> [B·784]
/// is <c>784·s0</c>; a symbol squared (B·B) is not representable, and the trace then stays specialized.
/// </summary>
internal readonly record struct SymDim(long Coeff, ulong Symbols)
{
    public static SymDim Const(long value) => new(value, 0);

    public bool IsConst => Symbols == 0;

    /// <summary>The size for the symbol sizes <paramref name="sizes"/> (indexed by symbol).</summary>
    public long Eval(long[] sizes)
    {
        long v = Coeff;
        for (ulong bits = Symbols; bits != 0; bits &= bits - 1) v *= sizes[BitOperations.TrailingZeroCount(bits)];
        return v;
    }

    /// <summary>The product, or null when a symbol would appear twice.</summary>
    public static SymDim? Times(SymDim a, SymDim b) => (a.Symbols & b.Symbols) != 0 ? null : new(a.Coeff * b.Coeff, a.Symbols | b.Symbols);

    /// <summary>a / b when it is exact (b's symbols among a's, the coefficient divisible), else null.</summary>
    public static SymDim? Over(SymDim a, SymDim b) =>
        b.Coeff != 0 && (b.Symbols & ~a.Symbols) == 0 && a.Coeff % b.Coeff == 0 ? new(a.Coeff / b.Coeff, a.Symbols & ~b.Symbols) : null;

    public string Format(Func<int, string> name)
    {
        if (IsConst) return Coeff.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var parts = new List<string>();
        if (Coeff != 1) parts.Add(Coeff.ToString(System.Globalization.CultureInfo.InvariantCulture));
        for (ulong bits = Symbols; bits != 0; bits &= bits - 1) parts.Add(name(BitOperations.TrailingZeroCount(bits)));
        return string.Join("*", parts);
    }
}
