using System.Numerics;
using Nabla.Primitives.Elementwise;
using Nabla.Primitives.Linalg;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>
/// <see cref="MatMulEpilogue"/> on the CPU: one GEMM whose epilogue (<see cref="GemmEpilogue{T}"/>) adds the bias row,
/// applies the activation and adds the residual on each block of output rows as soon as the GEMM has stored its full
/// k sum, while those rows are in cache. Each step is the span kernel eager code runs for its primitive, on runs no
/// shorter than eager's (see <see cref="GemmEpilogue{T}.MinSpan"/>), so results are eager's bits. A residual that is not
/// contiguous is added afterwards by the Add kernel (as eager code adds it).
/// </summary>
internal static class MatMulEpilogueKernel
{
    public static Tensor Run(MatMulEpilogue op, Tensor[] x)
    {
        var y = CpuTensor.Empty(x[0].DType, new Shape([x[0].Shape[0], x[1].Shape[1]]));
        bool residualApart = op.Residual != EpilogueResidual.None && !x[3].IsContiguous;
        if (!Fused(op, x, y, residualApart)) throw new InvalidOperationException($"internal: matmul_epilogue on {x[0].DType.TorchName()} {x[0].Shape} · {x[1].Shape}");
        if (!residualApart) return y;
        Tensor[] sum = op.Residual == EpilogueResidual.After ? [y, x[3]] : [x[3], y];
        var add = CpuBackend.Instance.Kernels.Find(typeof(Add), y.DType) ?? throw new InvalidOperationException("internal: no CPU add kernel");
        return add.Single!(new Add(), sum);
    }

    /// <summary>The into-form: false, with nothing written, unless y is a contiguous CPU tensor of the output's shape and dtype at offset 0, sharing no memory with an input, and a residual is contiguous.</summary>
    public static bool Into(MatMulEpilogue op, Tensor[] x, Tensor y)
    {
        if (y.DType != x[0].DType || !ReferenceEquals(y.Storage.Backend, CpuBackend.Instance) || y.Rank != 2 || y.Offset != 0 || !y.IsContiguous) return false;
        if (y.Shape[0] != x[0].Shape[0] || y.Shape[1] != x[1].Shape[1]) return false;
        foreach (var t in x)
            if (t.SharesStorage(y)) return false;
        if (op.Residual != EpilogueResidual.None && !x[3].IsContiguous) return false;
        return Fused(op, x, y, false);
    }

    static bool Fused(MatMulEpilogue op, Tensor[] x, Tensor y, bool residualApart)
    {
        if (x[0].Rank != 2 || x[1].Rank != 2 || x[2].Rank != 2 || x[2].Shape[0] != 1 || x[2].Shape[1] != y.Shape[1]) return false;
        if (y.DType == DType.Float32) Run<float>(op, x, y, residualApart);
        else if (y.DType == DType.Float64) Run<double>(op, x, y, residualApart);
        else return false;
        return true;
    }

    static void Run<T>(MatMulEpilogue op, Tensor[] x, Tensor y, bool residualApart) where T : unmanaged, INumber<T>
    {
        using var raw = RawAccess.Enter();
        var (a, b, bias) = (x[0], x[1], x[2]);
        int m = a.Shape[0], k = a.Shape[1], n = b.Shape[1];
        var (biasData, biasOffset) = (bias.Data<T>(), bias.Offset);
        if (bias.Strides[1] != 1 && n > 1)
        {
            var row = new T[n];
            for (int j = 0; j < n; j++) row[j] = biasData[biasOffset + j * bias.Strides[1]];
            (biasData, biasOffset) = (row, 0);
        }
        var residual = residualApart ? EpilogueResidual.None : op.Residual;
        var epilogue = new Epilogue<T>(biasData, biasOffset, op.BiasFirst, op.Activation,
            residual == EpilogueResidual.None ? null : x[3].Data<T>(), residual == EpilogueResidual.None ? 0 : x[3].Offset, residual,
            op.ReuseB ? (b.Storage, b.Version) : null);
        Gemm.Run(a.Data<T>(), new GemmOperand(a.Offset, a.Strides[0], a.Strides[1], 0),
            b.Data<T>(), new GemmOperand(b.Offset, b.Strides[0], b.Strides[1], 0),
            y.Data<T>(), new GemmOperand(y.Offset, n, 1, m * n), 1, m, k, n, epilogue);
    }

    /// <summary>The steps on whole output rows, each by its primitive's span kernel, in the traced order and operand order.</summary>
    sealed class Epilogue<T>(T[] bias, int biasOffset, bool biasFirst, EpilogueActivation activation,
        T[]? residual, int residualOffset, EpilogueResidual side, (object, int)? reusableB) : GemmEpilogue<T> where T : unmanaged, INumber<T>
    {
        public override (object Storage, int Version)? ReusableB => reusableB;

        public override void Apply(T[] c, int cOff, int row0, int rows, int n)
        {
            ReadOnlySpan<T> b = bias.AsSpan(biasOffset, n);
            for (int r = row0; r < row0 + rows; r++)
            {
                var row = c.AsSpan(cOff + r * n, n);
                if (biasFirst) AddKernel.Run<T>(b, 1, row, 1, row);
                else AddKernel.Run<T>(row, 1, b, 1, row);
            }
            var span = c.AsSpan(cOff + row0 * n, rows * n);
            if (activation == EpilogueActivation.Relu) ReluKernel.Run<T>(span, span);   // one vector pass: in place is safe
            else if (activation != EpilogueActivation.None) Activate(span);
            if (side == EpilogueResidual.None) return;
            ReadOnlySpan<T> res = residual.AsSpan(residualOffset + row0 * n, rows * n);
            if (side == EpilogueResidual.After) AddKernel.Run<T>(span, 1, res, 1, span);
            else AddKernel.Run<T>(res, 1, span, 1, span);
        }

        /// <summary>
        /// The activation's span kernel in L1-sized pieces, each read from a scratch copy: the transcendental kernels use
        /// their output as scratch on the way, so they must never run in place. A shorter rest joins the piece before
        /// (as the fused elementwise tiles do), so no piece is shorter than eager code's runs.
        /// </summary>
        void Activate(Span<T> span)
        {
            const int piece = 1024;
            var scratch = scratchTile ??= new T[piece + MinSpan];
            for (int s = 0, len; s < span.Length; s += len)
            {
                int rest = span.Length - s;
                len = rest < piece + MinSpan ? rest : piece;
                var x = scratch.AsSpan(0, len);
                var y = span.Slice(s, len);
                y.CopyTo(x);
                switch (activation)
                {
                    case EpilogueActivation.Gelu: GeluKernel.Run<T>(x, y); break;
                    case EpilogueActivation.Tanh: TanhKernel.Run<T>(x, y); break;
                    case EpilogueActivation.Sigmoid: SigmoidKernel.Run<T>(x, y); break;
                    default: throw new InvalidOperationException($"internal: epilogue activation {activation}");
                }
            }
        }

        [ThreadStatic] static T[]? scratchTile;
    }
}
