using Nabla.Engine;

namespace Nabla;

/// <summary>
/// Lets a batch (the <c>Tensor[]</c> a <see cref="Data.DataLoader"/> yields) deconstruct: <c>foreach (var (x, y) in loader)</c>,
/// as PyTorch's <c>for x, y in loader</c>.
/// </summary>
public static class BatchDeconstruction
{
    /// <summary>A batch of two tensors (inputs and targets) as a pair.</summary>
    public static void Deconstruct(this Tensor[] batch, out Tensor first, out Tensor second)
    {
        Check(batch, 2);
        (first, second) = (batch[0], batch[1]);
    }

    /// <summary>A batch of three tensors as a triple.</summary>
    public static void Deconstruct(this Tensor[] batch, out Tensor first, out Tensor second, out Tensor third)
    {
        Check(batch, 3);
        (first, second, third) = (batch[0], batch[1], batch[2]);
    }

    static void Check(Tensor[] batch, int count)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Length != count)
            throw Errors.Arg("Deconstruct", $"the batch holds {batch.Length} tensors but {count} names were given to take them; " +
                "give one name per tensor of the dataset (2 or 3), or index the batch (batch[0], batch[1], ...).");
    }
}
