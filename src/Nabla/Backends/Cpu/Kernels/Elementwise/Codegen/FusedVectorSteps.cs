using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.Intrinsics;
using Nabla.Primitives.Elementwise;

namespace Nabla.Backends.Cpu.Kernels.Codegen;

/// <summary>
/// The vector method a generated fused kernel calls for each step: the very method the step's eager span kernel
/// calls per vector (the binary/unary op structs SimdDriver runs, <see cref="FastMath"/>'s float32 kernels, the
/// <see cref="PowForms"/> of PowScalar), so every lane gets eager code's bits. A step with no such form (log, sin,
/// cos, tan, pow, a general PowScalar exponent: TensorPrimitives; float64 exp, tanh, sigmoid, erf, gelu) has none, and
/// its group runs on the tile interpreter.
/// </summary>
[RequiresDynamicCode(KernelCodegen.Why), RequiresUnreferencedCode(KernelCodegen.Why)]
internal static class FusedVectorSteps
{
    /// <summary>The methods step <paramref name="k"/> of <paramref name="op"/> calls in order (each on the previous
    /// one's result; a binary step is one call on both operands), or null when it has no vector form for
    /// <paramref name="dtype"/>. An empty array: the step is the identity (x^1).</summary>
    public static MethodInfo[]? For(FusedElementwise op, int k, Type dtype, Type vector)
    {
        var step = op.Steps[k];
        bool f32 = dtype == typeof(float);
        return step switch
        {
            FusedStep.Add => Op(typeof(AddKernel.Op<>), dtype, vector, 2),
            FusedStep.Sub => Op(typeof(SubKernel.Op<>), dtype, vector, 2),
            FusedStep.Mul => Op(typeof(MulKernel.Op<>), dtype, vector, 2),
            FusedStep.Div => Op(typeof(DivKernel.Op<>), dtype, vector, 2),
            FusedStep.Maximum => Op(typeof(MaximumKernel.Op<>), dtype, vector, 2),
            FusedStep.Minimum => Op(typeof(MinimumKernel.Op<>), dtype, vector, 2),
            FusedStep.Neg => Op(typeof(NegKernel.Op<>), dtype, vector, 1),
            FusedStep.Abs => Op(typeof(AbsKernel.Op<>), dtype, vector, 1),
            FusedStep.Relu => Op(typeof(ReluKernel.Op<>), dtype, vector, 1),
            FusedStep.Sqrt => Op(typeof(SqrtKernel.Op<>), dtype, vector, 1),
            FusedStep.Exp when f32 => Fast(typeof(Cpu.ExpKernel), vector),
            FusedStep.Tanh when f32 => Fast(typeof(Cpu.TanhKernel), vector),
            FusedStep.Sigmoid when f32 => Fast(typeof(Cpu.SigmoidKernel), vector),
            FusedStep.Erf when f32 => Fast(typeof(Cpu.ErfKernel), vector),
            FusedStep.Gelu when f32 => Fast(typeof(Cpu.GeluKernel), vector),
            // As PowScalarKernel: float32 takes the exponent rounded to float.
            FusedStep.PowScalar => PowScalar(PowForms.Of(f32 ? (float)op.Scalars[k] : op.Scalars[k]), dtype, vector),
            _ => null,
        };
    }

    static MethodInfo[]? PowScalar(PowForm form, Type dtype, Type vector) => form switch
    {
        PowForm.Identity => [],
        PowForm.Square => Op(typeof(PowForms.Square<>), dtype, vector, 1),
        PowForm.Cube => Op(typeof(PowForms.Cube<>), dtype, vector, 1),
        PowForm.Sqrt => Op(typeof(SqrtKernel.Op<>), dtype, vector, 1),
        PowForm.Reciprocal => Op(typeof(PowForms.Reciprocal<>), dtype, vector, 1),
        PowForm.InverseSquare => Op(typeof(PowForms.InverseSquare<>), dtype, vector, 1),
        PowForm.InverseSqrt => Op(typeof(PowForms.InverseSqrt<>), dtype, vector, 1),
        _ => null,
    };

    static MethodInfo[] Op(Type generic, Type dtype, Type vector, int arity) =>
        [Method(generic.MakeGenericType(dtype), arity == 2 ? [vector, vector] : [vector])];

    // FastMath's kernels exist for float32 at both widths; FastMath.Map runs the same Invoke on full vectors and on
    // its zero-padded tail.
    static MethodInfo[] Fast(Type kernel, Type vector) => [Method(kernel, [vector])];

    static MethodInfo Method(Type type, Type[] parameters) =>
        type.GetMethod("Invoke", BindingFlags.Public | BindingFlags.Static, parameters)
        ?? throw new InvalidOperationException($"internal: {type.Name} has no Invoke({string.Join(", ", parameters.Select(p => p.Name))})");

    /// <summary>The vector type the generated kernels use: Vector512 where accelerated, else Vector256, as the eager
    /// kernels choose.</summary>
    public static Type VectorOf(Type dtype) =>
        (Vector512.IsHardwareAccelerated ? typeof(Vector512<>) : typeof(Vector256<>)).MakeGenericType(dtype);
}
