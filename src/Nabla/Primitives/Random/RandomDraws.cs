namespace Nabla.Primitives.Random;

/// <summary>
/// A random creation op whose numbers are draws <c>Start</c>.. of the counter-based stream of
/// <c>Seed</c>. A compiled graph replays such an op with fresh draws from the global generator (the
/// eager front end reserves <see cref="DrawCount"/> draws per call), so compiled code gives the same bits
/// as eager code from the same generator state.
/// </summary>
internal interface IRandomDraws
{
    /// <summary>The stream's seed.</summary>
    long Seed { get; }

    /// <summary>The draw number of element 0.</summary>
    long Start { get; }

    /// <summary>How many draws the front end reserved for this op (Box-Muller rounds up to pairs).</summary>
    long DrawCount { get; }

    /// <summary>The same op drawing from <paramref name="seed"/> at <paramref name="start"/>.</summary>
    Primitive WithDraws(long seed, long start);
}
