using Nabla.Primitives.Creation;

namespace Nabla.Backends.Cpu.Kernels;

/// <summary>CPU kernels of the creation primitives (no inputs).</summary>
internal static class CreationKernels
{
    public static void Register(KernelTable table)
    {
        table.Add<Full>(KernelDTypes.All, (op, _) =>
        {
            // Fresh pooled arrays may hold old values; zero is the allocator's own clearing.
            var y = CpuTensor.Empty(op.DType, new Shape(op.Shape), zeroed: op.Value == 0);
            if (op.Value != 0) WriteKernels.Fill(y, op.Value);
            return y;
        });
        table.Add<Arange>(KernelDTypes.Numeric, (op, x) =>
        {
            var y = CpuTensor.Empty(op.OutputDType(x), new Shape(op.Count));
            switch (y.DType)
            {
                case DType.Float32: Fill(y.Data<float>(), op, v => (float)v); break;
                case DType.Float64: Fill(y.Data<double>(), op, v => v); break;
                case DType.Int32: Fill(y.Data<int>(), op, v => (int)v); break;
                case DType.Int64: Fill(y.Data<long>(), op, v => (long)v); break;
            }
            return y;
        });
    }

    static void Fill<T>(T[] y, Arange op, Func<double, T> convert)
    {
        for (int i = 0; i < op.Count; i++) y[i] = convert(op.Start + i * op.Step);
    }
}
