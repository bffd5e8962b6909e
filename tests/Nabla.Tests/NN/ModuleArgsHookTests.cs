using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>Modules that take or return several tensors: their Call overloads run the hooks through Module.Invoke.</summary>
public class ModuleArgsHookTests
{
    /// <summary>A module returning two tensors (x + y and x · y) in a record, as an LSTM returns output and state.</summary>
    sealed class SumProduct : Module
    {
        public readonly record struct Result(Tensor Sum, Tensor Product) : IModuleOutputs<Result>
        {
            public IReadOnlyList<Tensor?> ToTensors() => [Sum, Product];
            public static Result FromTensors(IReadOnlyList<Tensor?> t) => new(t[0]!, t[1]!);
        }

        public Result Call(Tensor x, Tensor? y = null) =>
            Invoke([x, y], a => new Result(a[0]! + (a[1] ?? a[0]!), a[0]! * (a[1] ?? a[0]!)));
    }

    static Tensor T(params float[] v) => Tensor.FromArray(v, [v.Length]);

    [Fact]
    public void ArgsHooksSeeEveryInputAndOutputAndMayReplaceThem()
    {
        var m = new SumProduct();
        var seen = new List<string>();
        using var pre = m.RegisterForwardArgsPreHook((mod, args) =>
        {
            seen.Add($"pre {args.Count} {(args[1] is null ? "null" : "y")}");
            return args[1] is null ? [args[0], T(10f, 20f)] : null;      // fills in the optional input
        });
        using var post = m.RegisterForwardArgsHook((mod, args, outputs) =>
        {
            seen.Add($"post {args.Count} {outputs.Count}");
            return [outputs[0], outputs[1]! * 2];                        // replaces the second output
        });
        var (sum, product) = m.Call(T(1f, 2f));
        Assert.Equal([11f, 22f], sum.ToArray<float>());
        Assert.Equal([20f, 80f], product.ToArray<float>());          // 1·10·2, 2·20·2
        Assert.Equal(["pre 2 null", "post 2 2"], seen);
    }

    [Fact]
    public void WithoutHooksTheRecordComesStraightFromForward()
    {
        var (sum, product) = new SumProduct().Call(T(3f), T(4f));
        Assert.Equal(7f, (float)sum[0]);
        Assert.Equal(12f, (float)product[0]);
    }

    [Fact]
    public void AReplacementOfAnotherLengthIsAnError()
    {
        var m = new SumProduct();
        using var pre = m.RegisterForwardArgsPreHook((_, args) => [args[0]]);
        var e = Assert.Throws<InvalidOperationException>(() => m.Call(T(1f), T(2f)));
        Assert.Contains("returned 1 input(s) for a call with 2", e.Message);
        pre.Dispose();
        using var post = m.RegisterForwardArgsHook((_, _, outputs) => [outputs[0], outputs[1], outputs[0]]);
        e = Assert.Throws<InvalidOperationException>(() => m.Call(T(1f), T(2f)));
        Assert.Contains("returned 3 output(s) for a module that gives 2", e.Message);
    }

    [Fact]
    public void AOneTensorHookOnASeveralTensorCallSaysWhichRegistrationToUse()
    {
        var bilinear = new Bilinear(2, 3, 4, seed: 0);
        using var h = bilinear.RegisterForwardPreHook((Module _, Tensor x) => { });
        var e = Assert.Throws<InvalidOperationException>(() => bilinear.Call(Tensor.Ones([1, 2]), Tensor.Ones([1, 3])));
        Assert.Contains("Bilinear", e.Message);
        Assert.Contains("this call has 2 inputs", e.Message);
        Assert.Contains("RegisterForwardArgsPreHook", e.Message);
        Assert.Contains("ModuleArgsHookTests.cs:", e.Message);
    }

    [Fact]
    public void LossesAndBilinearRunArgsHooks()
    {
        var loss = new MseLoss();
        int calls = 0;
        using var h = loss.RegisterForwardArgsHook((_, args, outputs) =>
        {
            calls++;
            Assert.Equal(2, args.Count);
            return [outputs[0]! * 0];                                // a hook may replace the loss value
        });
        var value = loss.Call(T(1f, 2f), T(3f, 5f));
        Assert.Equal(0f, (float)value);
        Assert.Equal(1, calls);

        var bilinear = new Bilinear(2, 3, 4, seed: 0);
        using var h2 = bilinear.RegisterForwardArgsHook((_, args, outputs) => { calls++; Assert.Equal([1, 4], outputs[0]!.Shape.ToArray()); return null; });
        bilinear.Call(Tensor.Ones([1, 2]), Tensor.Ones([1, 3]));
        Assert.Equal(2, calls);
    }

    [Fact]
    public void OneTensorHooksStillWorkAndArgsHooksFireForOneTensorModules()
    {
        var relu = new ReLU();
        using var one = relu.RegisterForwardHook((Module _, Tensor _, Tensor y) => y + 1);
        using var all = relu.RegisterForwardArgsHook((_, args, outputs) => [outputs[0]! * 10]);
        Assert.Equal([10f, 30f], relu.Call(T(-1f, 2f)).ToArray<float>());   // relu → +1 → ·10
    }

    [Fact]
    public void CallingASeveralTensorModuleWithOneTensorNamesIt()
    {
        Module m = new SumProduct();
        var e = Assert.Throws<ArgumentException>(() => m.Call(T(1f)));
        Assert.Contains("SumProduct does not take one tensor", e.Message);
        Assert.Contains("ModuleArgsHookTests.cs:", e.Message);
    }
}
