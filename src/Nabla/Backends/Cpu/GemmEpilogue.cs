namespace Nabla.Backends.Cpu;

/// <summary>
/// Work a GEMM caller wants done on its output right after the product is complete (bias, activation, residual add),
/// while the rows are still in cache. The GEMM calls <see cref="Apply"/> on whole rows of C, each row once, after the
/// full k sum of those rows is stored: per row unit when the blocked kernel's units are whole rows of at least
/// <see cref="MinSpan"/> elements (so an elementwise span kernel sees runs no shorter than eager code gives it), else once
/// on all of C. Rows of C are contiguous (ldc = n).
/// </summary>
internal abstract class GemmEpilogue<T> where T : unmanaged
{
    /// <summary>The shortest row run the GEMM hands over in pieces (a float64 span kernel's tail path below a vector differs in its last bit).</summary>
    public const int MinSpan = 64;

    /// <summary>
    /// B's storage and its version when B is a weight whose packed blocks may be kept and reused by later products
    /// (<see cref="GemmPackedB{T}"/>); null packs B anew, as every plain product does.
    /// </summary>
    public virtual (object Storage, int Version)? ReusableB => null;

    /// <summary>Rows [row0, row0 + rows) of the product C (n columns, contiguous, starting at <paramref name="cOff"/>).</summary>
    public abstract void Apply(T[] c, int cOff, int row0, int rows, int n);
}
