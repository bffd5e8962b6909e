namespace Nabla.Tests.OpDb;

internal static partial class OpDb
{
    static IEnumerable<OpInfo> LogicalEntries()
    {
        yield return Compare("Ne", (a, b) => a.Ne(b), (a, b) => a != b);
        yield return Compare("op_GreaterThan", (a, b) => a > b, (a, b) => a > b);
        yield return Compare("op_LessThan", (a, b) => a < b, (a, b) => a < b);
        yield return Compare("op_GreaterThanOrEqual", (a, b) => a >= b, (a, b) => a >= b);
        yield return Compare("op_LessThanOrEqual", (a, b) => a <= b, (a, b) => a <= b);
        yield return new OpInfo
        {
            Name = "Compare operators with numbers", Covers = ["op_GreaterThan", "op_LessThan", "op_GreaterThanOrEqual", "op_LessThanOrEqual", "Ne"], Differentiable = false,
            Op = x => (x[0] > 0.5).To(DType.Int64) + 2 * (0L >= x[0]).To(DType.Int64) + 4 * (x[0] < -1.5).To(DType.Int64)
                + 8 * (1.0 <= x[0]).To(DType.Int64) + 16 * x[0].Ne(-0.5).To(DType.Int64) + 32 * (x[0] <= 1L).To(DType.Int64) + 64 * (-1L < x[0]).To(DType.Int64),
            Reference = r => Unary(r[0], a => (a > 0.5 ? 1 : 0) + (0 >= a ? 2 : 0) + (a < -1.5 ? 4 : 0) + (1 <= a ? 8 : 0) + (a != -0.5 ? 16 : 0) + (a <= 1 ? 32 : 0) + (-1 < a ? 64 : 0)),
            Samples = () => KinkSamples(Quantized),
        };
        yield return new OpInfo
        {
            // Truth tables on bool tensors made by comparisons, encoded as one number per element; and the Logical* methods
            // on floats (nonzero is true; a quantized sample holds zeros).
            Name = "Logical", Covers = ["LogicalNot", "LogicalAnd", "LogicalOr", "LogicalXor", "op_LogicalNot", "op_OnesComplement", "op_BitwiseAnd", "op_BitwiseOr", "op_ExclusiveOr"],
            Differentiable = false,
            Op = x =>
            {
                Tensor p = x[0] > 0.0, q = x[1] < 0.5;
                return (p & q).To(DType.Int64) + 2 * (p | q).To(DType.Int64) + 4 * (p ^ q).To(DType.Int64) + 8 * (!p).To(DType.Int64) + 16 * (~q).To(DType.Int64)
                    + 32 * x[0].LogicalAnd(x[1]).To(DType.Int64) + 64 * x[0].LogicalOr(x[1]).To(DType.Int64) + 128 * x[0].LogicalXor(x[1]).To(DType.Int64) + 256 * x[0].LogicalNot().To(DType.Int64);
            },
            Reference = r => Broadcast(r[0], r[1], (a, b) =>
            {
                bool p = a > 0, q = b < 0.5, s = a != 0, t = b != 0;
                return (p && q ? 1 : 0) + (p || q ? 2 : 0) + (p ^ q ? 4 : 0) + (!p ? 8 : 0) + (!q ? 16 : 0) + (s && t ? 32 : 0) + (s || t ? 64 : 0) + (s ^ t ? 128 : 0) + (!s ? 256 : 0);
            }),
            Samples = CompareSamples,
        };
    }
}
