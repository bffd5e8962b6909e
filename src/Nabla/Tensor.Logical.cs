using Nabla.Engine;

namespace Nabla;

public partial class Tensor
{
    /// <summary>x != other elementwise as a bool tensor (torch.ne); NaN != NaN is true. Not differentiable.</summary>
    public Tensor Ne(Tensor other) => Eq(other).LogicalNot();

    /// <summary>x != <paramref name="other"/> elementwise (see <see cref="Ne(Tensor)"/>).</summary>
    public Tensor Ne(double other) => Eq(other).LogicalNot();

    /// <summary>x != <paramref name="other"/> elementwise (see <see cref="Ne(Tensor)"/>).</summary>
    public Tensor Ne(long other) => Eq(other).LogicalNot();

    /// <summary>NOT elementwise as a bool tensor (torch.logical_not): true where x is zero (or false). Any dtype.</summary>
    public Tensor LogicalNot() => (DType == DType.Bool ? To(DType.Int32) : this).Eq(0L);

    /// <summary>AND elementwise as a bool tensor (torch.logical_and), broadcasting; any dtypes (nonzero is true).</summary>
    public Tensor LogicalAnd(Tensor other) => LogicalAnd(AsTruth(), other.AsTruth());

    /// <summary>OR elementwise as a bool tensor (torch.logical_or), broadcasting; any dtypes (nonzero is true).</summary>
    public Tensor LogicalOr(Tensor other) => Where(AsTruth(), Full([], 1, DType.Bool, device: Device), other.AsTruth());

    /// <summary>XOR elementwise as a bool tensor (torch.logical_xor), broadcasting; any dtypes (nonzero is true).</summary>
    public Tensor LogicalXor(Tensor other) => AsTruth().To(DType.Int32).Eq(other.AsTruth().To(DType.Int32)).LogicalNot();

    /// <summary>This tensor as bools: itself when bool, else x != 0 (NaN counts as true, as PyTorch).</summary>
    Tensor AsTruth() => DType == DType.Bool ? this : Eq(0L).To(DType.Int32).Eq(0L);

    // Comparison operators return bool tensors, as PyTorch's. NB: == and != are not overloaded: Tensor is a reference type
    // whose == means "the same tensor" everywhere in .NET (collections, `is null` patterns, LINQ); use Eq and Ne.

    /// <summary>x &gt; y elementwise as a bool tensor (<see cref="Gt(Tensor)"/>).</summary>
    public static Tensor operator >(Tensor a, Tensor b) => a.Gt(b);
    /// <summary>x &lt; y elementwise as a bool tensor (<see cref="Lt(Tensor)"/>).</summary>
    public static Tensor operator <(Tensor a, Tensor b) => a.Lt(b);
    /// <summary>x &gt;= y elementwise as a bool tensor (<see cref="Ge(Tensor)"/>).</summary>
    public static Tensor operator >=(Tensor a, Tensor b) => a.Ge(b);
    /// <summary>x &lt;= y elementwise as a bool tensor (<see cref="Le(Tensor)"/>).</summary>
    public static Tensor operator <=(Tensor a, Tensor b) => a.Le(b);
    /// <summary>x &gt; a number elementwise.</summary>
    public static Tensor operator >(Tensor a, double b) => a.Gt(b);
    /// <summary>x &lt; a number elementwise.</summary>
    public static Tensor operator <(Tensor a, double b) => a.Lt(b);
    /// <summary>x &gt;= a number elementwise.</summary>
    public static Tensor operator >=(Tensor a, double b) => a.Ge(b);
    /// <summary>x &lt;= a number elementwise.</summary>
    public static Tensor operator <=(Tensor a, double b) => a.Le(b);
    /// <summary>a number &gt; x elementwise.</summary>
    public static Tensor operator >(double a, Tensor b) => b.Lt(a);
    /// <summary>a number &lt; x elementwise.</summary>
    public static Tensor operator <(double a, Tensor b) => b.Gt(a);
    /// <summary>a number &gt;= x elementwise.</summary>
    public static Tensor operator >=(double a, Tensor b) => b.Le(a);
    /// <summary>a number &lt;= x elementwise.</summary>
    public static Tensor operator <=(double a, Tensor b) => b.Ge(a);
    /// <summary>x &gt; a whole number elementwise (an integer tensor stays exact).</summary>
    public static Tensor operator >(Tensor a, long b) => a.Gt(b);
    /// <summary>x &lt; a whole number elementwise.</summary>
    public static Tensor operator <(Tensor a, long b) => a.Lt(b);
    /// <summary>x &gt;= a whole number elementwise.</summary>
    public static Tensor operator >=(Tensor a, long b) => a.Ge(b);
    /// <summary>x &lt;= a whole number elementwise.</summary>
    public static Tensor operator <=(Tensor a, long b) => a.Le(b);
    /// <summary>a whole number &gt; x elementwise.</summary>
    public static Tensor operator >(long a, Tensor b) => b.Lt(a);
    /// <summary>a whole number &lt; x elementwise.</summary>
    public static Tensor operator <(long a, Tensor b) => b.Gt(a);
    /// <summary>a whole number &gt;= x elementwise.</summary>
    public static Tensor operator >=(long a, Tensor b) => b.Le(a);
    /// <summary>a whole number &lt;= x elementwise.</summary>
    public static Tensor operator <=(long a, Tensor b) => b.Ge(a);

    /// <summary>NOT of a bool tensor (<see cref="LogicalNot"/>); other dtypes are an error (Nabla has no bitwise integer ops).</summary>
    public static Tensor operator !(Tensor a) => a.BoolOnly("!").LogicalNot();
    /// <summary>NOT of a bool tensor, as PyTorch's ~ on bools.</summary>
    public static Tensor operator ~(Tensor a) => a.BoolOnly("~").LogicalNot();
    /// <summary>AND of bool tensors (<see cref="LogicalAnd(Tensor)"/>), broadcasting.</summary>
    public static Tensor operator &(Tensor a, Tensor b) => a.BoolOnly("&").LogicalAnd(b.BoolOnly("&"));
    /// <summary>OR of bool tensors (<see cref="LogicalOr"/>), broadcasting.</summary>
    public static Tensor operator |(Tensor a, Tensor b) => a.BoolOnly("|").LogicalOr(b.BoolOnly("|"));
    /// <summary>XOR of bool tensors (<see cref="LogicalXor"/>), broadcasting.</summary>
    public static Tensor operator ^(Tensor a, Tensor b) => a.BoolOnly("^").LogicalXor(b.BoolOnly("^"));

    Tensor BoolOnly(string op) => DType == DType.Bool ? this : throw Errors.Arg($"operator {op}",
        $"needs bool tensors (comparisons make them: (x > 0) & (x < 1)), got {Errors.Describe(this)}. Nabla has no bitwise integer " +
        "ops; use LogicalAnd/LogicalOr/LogicalXor/LogicalNot, which take any dtype (nonzero is true).");
}
