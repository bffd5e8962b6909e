namespace Nabla.NN;

public static partial class Init
{
    /// <summary>
    /// Orthogonal init (torch.nn.init.orthogonal_): fills <paramref name="tensor"/> (2 or more dims, viewed as rows = shape[0] by cols = the rest) in place, under
    /// no-grad, with gain·Q: Q from the QR of an N(0, 1) rows×cols draw (of its transpose when rows &lt; cols, then
    /// transposed back), each column multiplied by the sign of R's diagonal entry so that Q is uniformly (Haar)
    /// distributed rather than biased by the QR's sign convention. So QᵀQ = gain²·I when rows ≥ cols, QQᵀ = gain²·I
    /// otherwise. <paramref name="seed"/> makes the draw repeatable (else the global generator draws). An empty tensor is
    /// returned unchanged, as PyTorch. Returns <paramref name="tensor"/>.
    /// </summary>
    public static Tensor Orthogonal(Tensor tensor, double gain = 1, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        const string op = "Orthogonal";
        if (tensor.Rank < 2)
            throw Engine.Errors.Arg(op, $"needs a tensor with 2 or more dims, got {Engine.Errors.Describe(tensor)}.");
        Init.CheckDType(op, tensor.DType);
        if (tensor.NumElements == 0) return tensor;
        int rows = tensor.Shape[0], cols = tensor.NumElements / rows;
        using (Autograd.NoGrad())
        {
            var draw = Init.Normal([rows, cols], tensor.DType, seed, 0);
            bool wide = rows < cols;
            var (q, r) = Linalg.Qr(wide ? draw.T : draw);
            q = q * r.Diagonal().Sign().Unsqueeze(0);   // column j times sign(r_jj)
            if (wide) q = q.T;
            tensor.CopyFrom((q * gain).Reshape(tensor.Shape.ToArray()));
        }
        return tensor;
    }
}
