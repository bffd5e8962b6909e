namespace Nabla.Engine;

/// <summary>
/// A check that the values of a tensor are valid for an op (indices in range, probabilities in [0, 1]),
/// which the front end must make before a kernel that would otherwise read out of bounds or return nonsense.
/// Run through <see cref="Dispatch.Check"/>: the values it reads are not a branch of the user's code, so a
/// compiled function records the check itself and runs it again on every call, instead of freezing the
/// values it saw into a guard. A record of plain data, so a saved graph can hold it.
/// </summary>
internal abstract record ValueCheck
{
    /// <summary>Throws (naming the op, the bad value and the caller) when <paramref name="t"/>'s values fail the check.</summary>
    public abstract void Run(Tensor t);
}

/// <summary>
/// Integer values must lie in 0..<see cref="Size"/>-1 (or equal <see cref="Ignored"/>): the message is
/// <see cref="Format"/> with the first bad value for <c>{0}</c>, thrown as ArgumentOutOfRangeException of <see cref="ParamName"/>.
/// </summary>
internal sealed record IndexRangeCheck(string? ParamName, long Size, long? Ignored, string Format) : ValueCheck
{
    public override void Run(Tensor t)
    {
        foreach (var v in Primitives.Index.IndexWalk.Values(t))
            if ((v < 0 || v >= Size) && v != Ignored)
                throw new ArgumentOutOfRangeException(ParamName,
                    string.Format(System.Globalization.CultureInfo.InvariantCulture, Format, v) + $" (called from {CallSite.Describe()})");
    }
}
