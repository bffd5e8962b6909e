using Nabla.Engine;

namespace Nabla;

public static partial class Linalg
{
    /// <summary>A must be a float32/float64 matrix or batch of them [..., n, n].</summary>
    static void CheckSquare(string op, Tensor a, string name = "A")
    {
        CheckFloating(op, a, name);
        if (a.Rank < 2 || a.Shape[^1] != a.Shape[^2])
            throw Errors.Arg(op, $"{name} must be a square matrix or a batch of them [..., n, n], got {Errors.Describe(a)}.");
    }

    static void CheckFloating(string op, Tensor t, string name)
    {
        if (!t.DType.IsFloating())
            throw Errors.Arg(op, $"{name} must be float32 or float64, got {Errors.Describe(t)}; convert with To(DType.Float32) first.");
    }

    /// <summary>B must be on A's device with A's dtype (as torch.linalg, which does not promote).</summary>
    static void CheckOperand(string op, Tensor a, Tensor b)
    {
        CheckFloating(op, b, "B");
        if (!a.Device.Equals(b.Device))
            throw Errors.Arg(op, $"A and B are on different devices ({a.Device} and {b.Device}).");
        if (a.DType != b.DType)
            throw Errors.Arg(op, $"A and B must have the same dtype, got A {Errors.Describe(a)} and B {Errors.Describe(b)}; convert one with To(DType).");
    }

    /// <summary>A [..., n, n] and B [..., r, k] expanded to their broadcast batch dims.</summary>
    static (Tensor A, Tensor B) BroadcastBatch(string op, Tensor a, Tensor b)
    {
        var batch = Tensor.BroadcastShapes(op, new Shape(a.Shape.ToArray()[..^2]), new Shape(b.Shape.ToArray()[..^2]));
        return (a.BroadcastTo([.. batch, a.Shape[^2], a.Shape[^1]]), b.BroadcastTo([.. batch, b.Shape[^2], b.Shape[^1]]));
    }
}
