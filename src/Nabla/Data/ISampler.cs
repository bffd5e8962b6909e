namespace Nabla.Data;

/// <summary>
/// Decides which samples an epoch visits and in what order (PyTorch's <c>torch.utils.data.Sampler</c>). A
/// <see cref="DataLoader"/> asks its sampler for epoch e's order when it starts enumerating epoch e, so the order
/// must be a pure function of the epoch: replaying an epoch (after a resume) gives the same batches.
/// </summary>
public interface ISampler
{
    /// <summary>How many indices <see cref="Order"/> returns for every epoch.</summary>
    int Count { get; }

    /// <summary>The dataset indices epoch <paramref name="epoch"/> visits, in order (<see cref="Count"/> of them).</summary>
    int[] Order(int epoch);
}
