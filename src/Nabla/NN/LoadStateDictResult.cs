namespace Nabla.NN;

/// <summary>
/// What <see cref="Module.LoadStateDict"/> did not match (only non-empty with <c>strict: false</c>;
/// a strict load throws instead), as PyTorch's <c>_IncompatibleKeys</c>.
/// </summary>
/// <param name="MissingKeys">Keys the module has but the state dict lacks (those entries kept their values).</param>
/// <param name="UnexpectedKeys">Keys of the state dict the module does not have (ignored).</param>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys)
{
    /// <summary>"all keys matched", or the keys themselves (as PyTorch prints <c>_IncompatibleKeys</c>).</summary>
    public override string ToString() => MissingKeys.Count + UnexpectedKeys.Count == 0 ? "LoadStateDictResult: all keys matched"
        : $"LoadStateDictResult {{ MissingKeys = [{string.Join(", ", MissingKeys)}], UnexpectedKeys = [{string.Join(", ", UnexpectedKeys)}] }}";
}
