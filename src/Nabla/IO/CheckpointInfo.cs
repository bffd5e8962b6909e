namespace Nabla.IO;

/// <summary>What <see cref="Checkpoint.Load"/> restored besides the model and optimizer: where training stood, and the caller's own strings.</summary>
/// <param name="Step">The step count given to <see cref="Checkpoint.Save"/>.</param>
/// <param name="Epoch">The epoch given to <see cref="Checkpoint.Save"/>.</param>
/// <param name="Metadata">The metadata given to <see cref="Checkpoint.Save"/>, as saved.</param>
public sealed record CheckpointInfo(long Step, int Epoch, IReadOnlyDictionary<string, string> Metadata);
