using System.Runtime.CompilerServices;
using Nabla.Backends;
using Nabla.Backends.Cpu;
using Nabla.Backends.Reference;
using Nabla.Engine;
using Nabla.Primitives;
using Nabla.Primitives.Elementwise;

namespace Nabla.Tests.Backends;

/// <summary>
/// The backend seam: every primitive has kernels on every backend (or is on the documented list of ops
/// that need none), a missing kernel is a clear error, tensors move between devices with gradients, and
/// views stay views on the reference device.
/// </summary>
public class BackendSeamTests
{
    /// <summary>
    /// Primitives no backend registers a kernel for, each with its reason. Nothing is CPU-only on purpose.
    /// </summary>
    static readonly Dictionary<string, string> NoKernelNeeded = new(StringComparer.Ordinal)
    {
        ["Expand"] = "a view (TryView), the same on every device",
        ["Permute"] = "a view (TryView), the same on every device",
        ["Slice"] = "a view (TryView), the same on every device",
        ["Diagonal"] = "a view (TryView), the same on every device",
        ["Transfer"] = "spans two devices; Dispatch.Transfer copies through host memory",
        ["CustomOutput"] = "the record of a custom function's output; the user's code computes it",
        ["CompiledCall"] = "the record of a compiled function's output; its graph's ops compute it",
    };

    static IEnumerable<Type> PrimitiveTypes() =>
        typeof(Primitive).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(Primitive)) && !t.IsAbstract);

    [Fact]
    public void EveryPrimitiveHasACpuKernel()
    {
        var registered = CpuBackend.Instance.Kernels.Ops.ToHashSet();
        var missing = PrimitiveTypes().Where(t => !NoKernelNeeded.ContainsKey(t.Name) && !registered.Contains(t)).Select(t => t.Name).Order().ToList();
        Assert.True(missing.Count == 0, "primitives without a CPU kernel: " + string.Join(", ", missing));
        var stale = NoKernelNeeded.Keys.Where(n => registered.Any(t => t.Name == n)).ToList();
        Assert.True(stale.Count == 0, "listed as needing no kernel but registered: " + string.Join(", ", stale));
    }

    [Fact]
    public void EveryPrimitiveRunsOnTheReferenceBackend()
    {
        foreach (var type in PrimitiveTypes().Where(t => !NoKernelNeeded.ContainsKey(t.Name)))
        {
            // The reference backend decides from the op's kind alone, so an uninitialized instance will do.
            var op = (Primitive)RuntimeHelpers.GetUninitializedObject(type);
            Assert.True(ReferenceBackend.Instance.Find(op, DType.Float64) is not null, $"{type.Name} has no reference kernel");
        }
    }

    [Fact]
    public void AMissingKernelNamesTheOpTheDtypeTheDeviceAndTheCaller()
    {
        var ints = Tensor.Arange(3);
        var ex = Assert.Throws<NotSupportedException>(() => Dispatch.Call(new Exp(), ints));
        Assert.StartsWith("exp: no kernel for int64 on device 'cpu'", ex.Message);
        Assert.Contains("To(DType)", ex.Message);
        Assert.Contains(nameof(BackendSeamTests) + ".cs", ex.Message);
    }

    [Fact]
    public void MixingDevicesIsAnErrorExceptForCpuScalars()
    {
        var cpu = Tensor.FromArray(new[] { 1.0, 2.0 }, [2]);
        var reference = cpu.To(Device.Reference);
        var ex = Assert.Throws<ArgumentException>(() => cpu + reference);
        Assert.Contains("cpu", ex.Message);
        Assert.Contains("reference", ex.Message);
        // A 0-d CPU tensor is a constant and joins the other device, as in PyTorch.
        var scaled = Tensor.Scalar(3.0) * reference;
        Assert.Equal(Device.Reference, scaled.Device);
        Assert.Equal(new[] { 3.0, 6.0 }, scaled.ToArray<double>());
    }

    [Fact]
    public void ToDeviceCopiesAndGradientsFlowBack()
    {
        var x = Tensor.FromArray(new[] { 0.5, -1.0, 2.0 }, [3], requiresGrad: true);
        var onReference = x.To(Device.Reference);
        Assert.Equal(Device.Reference, onReference.Device);
        Assert.Same(onReference, onReference.To(Device.Reference));
        var y = (onReference * onReference).Exp().Sum();    // computed by the reference backend
        Assert.Equal(Device.Reference, y.Device);
        y.Backward();
        Assert.Equal(Device.Cpu, x.Grad!.Device);
        var expected = new[] { 0.5, -1.0, 2.0 }.Select(v => 2 * v * Math.Exp(v * v)).ToArray();
        var grad = x.Grad.ToArray<double>();
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], grad[i], 12);
    }

    [Fact]
    public void Float32OnTheReferenceDeviceIsTheExactValueRoundedOnce()
    {
        // exp(1) rounded once to float32, whatever the CPU's float kernel does within its ulps.
        var x = Tensor.FromArray(new[] { 1f, 0.1f }, [2]).To(Device.Reference);
        var y = x.Exp().ToArray<float>();
        Assert.Equal((float)Math.Exp(1.0), y[0]);
        Assert.Equal((float)Math.Exp((double)0.1f), y[1]);
    }

    [Fact]
    public void ViewsAndInPlaceWritesBehaveAsOnTheCpu()
    {
        var baseTensor = Tensor.Zeros([2, 3], DType.Float64).To(Device.Reference);
        var row = baseTensor.Narrow(0, 1, 1);
        row.Fill(7);
        baseTensor.T.Narrow(0, 0, 1).AddInPlace(1.0);   // first column, through a transposed view
        Assert.Equal(new[] { 1.0, 0, 0, 8, 7, 7 }, baseTensor.ToArray<double>());
        Assert.Equal(Device.Reference, baseTensor.Device);
    }

    [Fact]
    public void ATrainingStepOnTheReferenceDeviceMatchesTheCpu()
    {
        var w = Tensor.FromArray(new[] { 0.3, -0.2, 0.5, 0.1, -0.4, 0.25 }, [2, 3], requiresGrad: true);
        var x = Tensor.FromArray(new[] { 1.0, 2.0, -1.0, 0.5, 0.0, 3.0 }, [2, 3]);
        var labels = Tensor.FromArray(new long[] { 1, 0 }, [2]);
        Tensor Loss(Tensor wd, Tensor xd, Tensor ld) => Nabla.NN.Functional.CrossEntropy(xd.MatMul(wd.T).Tanh(), ld);
        var cpuGrad = Autograd.Grad(Loss(w, x, labels), w);
        var wr = w.Detach().To(Device.Reference);
        wr.RequiresGrad = true;
        var refLoss = Loss(wr, x.To(Device.Reference), labels.To(Device.Reference));
        var refGrad = Autograd.Grad(refLoss, wr);
        Assert.Equal(Device.Reference, refGrad!.Device);
        var a = cpuGrad!.ToArray<double>();
        var b = refGrad.ToArray<double>();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 12);
    }
}
