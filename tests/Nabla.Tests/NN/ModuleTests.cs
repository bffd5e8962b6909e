using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>The Module base: registration and names, train/eval, state dicts, hooks.</summary>
public class ModuleTests
{
    sealed class Net : Module
    {
        public readonly Conv2d Conv1;
        public readonly BatchNorm2d Bn;
        public readonly Linear Fc;

        public Net()
        {
            Conv1 = RegisterModule("conv1", new Conv2d(1, 2, 3, seed: 1));
            Bn = RegisterModule("bn", new BatchNorm2d(2));
            Fc = RegisterModule("fc", new Linear(8, 3, seed: 2));
        }

        public override Tensor Forward(Tensor x) => Fc.Call(Functional.Flatten(Bn.Call(Conv1.Call(x)).Relu()));
    }

    [Fact]
    public void NamedParametersUseDottedNamesInRegistrationOrder()
    {
        var model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2, bias: false));
        Assert.Equal(["0.weight", "0.bias", "2.weight"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal(model.NamedParameters().Select(p => p.Parameter), model.Parameters());
        Assert.Equal(3, model.TrainableVariables.Count);
        Assert.Same(((Linear)model[0]).Weight, model.TrainableVariables[0]);
        Assert.Same(model[2], model[^1]);

        var net = new Net();
        Assert.Equal(["conv1.weight", "conv1.bias", "bn.weight", "bn.bias", "fc.weight", "fc.bias"], net.NamedParameters().Select(p => p.Name));
        Assert.Equal(["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"], net.NamedBuffers().Select(b => b.Name));
        Assert.Equal(["", "conv1", "bn", "fc"], net.NamedModules().Select(m => m.Name));
    }

    [Fact]
    public void SharedParametersAreListedOnce()
    {
        var shared = new Linear(2, 2);
        var model = new Sequential(shared, new Tanh(), shared);
        Assert.Equal(["0.weight", "0.bias"], model.NamedParameters().Select(p => p.Name));
        // The state dict lists every name, as PyTorch's does.
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], model.StateDict().Keys);
    }

    [Fact]
    public void RegistrationRejectsBadNames()
    {
        var m = new Sequential();
        var p = new Variable(Tensor.Zeros(2));
        Assert.Contains("'.'", Assert.Throws<ArgumentException>(() => m.RegisterParameter("a.b", p)).Message);
        Assert.Throws<ArgumentException>(() => m.RegisterParameter("", p));
        m.RegisterParameter("w", p);
        Assert.Contains("already registered", Assert.Throws<ArgumentException>(() => m.RegisterBuffer("w", Tensor.Zeros(1))).Message);
        Assert.Contains("cycle", Assert.Throws<ArgumentException>(() => m.RegisterModule("self", m)).Message);
    }

    [Fact]
    public void TrainAndEvalAreRecursive()
    {
        var net = new Net();
        Assert.True(net.IsTraining && net.Bn.IsTraining);
        Assert.Same(net, net.Eval());
        Assert.All(net.NamedModules(), m => Assert.False(m.Module.IsTraining));
        net.Train();
        Assert.All(net.NamedModules(), m => Assert.True(m.Module.IsTraining));
    }

    [Fact]
    public void StateDictRoundTripLoadsInPlace()
    {
        var a = new Net();
        var b = new Net();
        a.Train().Call(Tensor.Randn([2, 1, 4, 4], seed: 3));   // moves a's running statistics
        var weightBefore = b.Fc.Weight;
        var state = a.StateDict();
        Assert.Equal(["conv1.weight", "conv1.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked", "fc.weight", "fc.bias"], state.Keys);
        Assert.False(state["fc.weight"].RequiresGrad);
        Assert.Equal(1L, state["bn.num_batches_tracked"].Item<long>());

        var result = b.LoadStateDict(state);
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        Assert.Same(weightBefore, b.Fc.Weight);              // same Variable: optimizers keep working
        foreach (var (key, value) in a.StateDict())
            Assert.Equal(value.ToDoubleArray(), b.StateDict()[key].ToDoubleArray());
        Assert.True(b.Fc.Weight.RequiresGrad);

        // The state dict's values are views: they follow the module (documented; Clone() snapshots).
        var snapshot = a.StateDict()["fc.bias"].Clone();
        a.Fc.Bias!.Assign(7.0);
        Assert.All(state["fc.bias"].ToArray<float>(), v => Assert.Equal(7f, v));
        Assert.NotEqual(7f, snapshot.ToArray<float>()[0]);

        var x = Tensor.Randn([2, 1, 4, 4], seed: 4);
        a.Eval(); b.Eval();
        a.Fc.Bias.Assign(b.Fc.Bias!);
        Assert.Equal(a.Call(x).ToArray<float>(), b.Call(x).ToArray<float>());
    }

    [Fact]
    public void StrictLoadListsEveryProblemAndLoadsNothing()
    {
        var model = new Sequential(new Linear(2, 3, seed: 0), new Linear(3, 1, seed: 1));
        var before = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        var state = new Dictionary<string, Tensor>
        {
            ["0.weight"] = Tensor.Ones([3, 2]),
            ["0.bias"] = Tensor.Ones([4]),                               // wrong shape
            ["1.weight"] = Tensor.Ones([1, 3], DType.Float64),           // wrong dtype
            ["extra.weight"] = Tensor.Ones([1]),                         // unexpected
        };                                                               // "1.bias" missing
        var ex = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state));
        Assert.Contains("Missing key(s): \"1.bias\"", ex.Message);
        Assert.Contains("Unexpected key(s): \"extra.weight\"", ex.Message);
        Assert.Contains("size mismatch for 0.bias", ex.Message);
        Assert.Contains("[4]", ex.Message);
        Assert.Contains("dtype mismatch for 1.weight", ex.Message);
        foreach (var (key, value) in before)
            Assert.Equal(value.ToDoubleArray(), model.StateDict()[key].ToDoubleArray());   // nothing was written
    }

    [Fact]
    public void NonStrictLoadReportsKeysAndLoadsTheRest()
    {
        var model = new Sequential(new Linear(2, 3, seed: 0));
        var result = model.LoadStateDict(new Dictionary<string, Tensor> { ["0.weight"] = Tensor.Full([3, 2], 0.5), ["head.bias"] = Tensor.Zeros(1) }, strict: false);
        Assert.Equal(["0.bias"], result.MissingKeys);
        Assert.Equal(["head.bias"], result.UnexpectedKeys);
        Assert.All(((Linear)model[0]).Weight.ToArray<float>(), v => Assert.Equal(0.5f, v));
        // A shape mismatch is an error even when not strict.
        Assert.Throws<ArgumentException>(() => model.LoadStateDict(new Dictionary<string, Tensor> { ["0.weight"] = Tensor.Zeros(2, 3) }, strict: false));
    }

    [Fact]
    public void LoadedBuffersChangeBatchNormInEvaluation()
    {
        var bn = new BatchNorm1d(2);
        bn.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.FromArray(new[] { 1f, 2f }, [2]), ["bias"] = Tensor.FromArray(new[] { 0f, 1f }, [2]),
            ["running_mean"] = Tensor.FromArray(new[] { 1f, -1f }, [2]), ["running_var"] = Tensor.FromArray(new[] { 4f, 0.25f }, [2]),
            ["num_batches_tracked"] = Tensor.FromArray(new long[] { 5 }, []).Reshape([]),
        });
        bn.Eval();
        var y = bn.Call(Tensor.FromArray(new[] { 3f, 0f }, [1, 2])).ToArray<float>();
        // (3 - 1)/√(4 + 1e-5)·1 + 0 and (0 + 1)/√(0.25 + 1e-5)·2 + 1
        Assert.Equal(2 / Math.Sqrt(4 + 1e-5), y[0], 5);
        Assert.Equal(1 / Math.Sqrt(0.25 + 1e-5) * 2 + 1, y[1], 5);
        Assert.Equal(5L, bn.NumBatchesTracked!.Item<long>());
    }

    [Fact]
    public void HooksFireOnDirectCallsAndInsideSequential()
    {
        var inner = new Linear(2, 2, seed: 0);
        var model = new Sequential(inner, new ReLU());
        var log = new List<string>();
        using var pre = inner.RegisterForwardPreHook((m, x) => log.Add($"pre {m.GetType().Name} {x.Shape}"));
        using var post = inner.RegisterForwardHook((m, x, y) => log.Add($"post {y.Shape}"));
        var input = Tensor.Ones(3, 2);
        model.Call(input);
        inner.Call(input);
        Assert.Equal(["pre Linear [3, 2]", "post [3, 2]", "pre Linear [3, 2]", "post [3, 2]"], log);
        // Forward itself skips hooks (documented: Call is the entry point), like PyTorch's forward().
        inner.Forward(input);
        Assert.Equal(4, log.Count);
    }

    [Fact]
    public void HooksCanReplaceInputAndOutputAndAreRemovedByDispose()
    {
        var model = new Sequential(new Linear(1, 1, bias: false, seed: 0));
        var lin = (Linear)model[0];
        lin.Weight.Assign(3.0);
        var x = Tensor.Full([1, 1], 2.0);
        var pre = model.RegisterForwardPreHook((m, t) => t * 10);       // 2 → 20
        var post = lin.RegisterForwardHook((m, t, y) => y + 1);          // 60 → 61
        Assert.Equal(61f, model.Call(x).Item<float>());
        pre.Dispose();
        Assert.Equal(7f, model.Call(x).Item<float>());
        post.Dispose();
        post.Dispose();                                                  // idempotent
        Assert.Equal(6f, model.Call(x).Item<float>());
    }

    [Fact]
    public void ZeroGradClearsEveryParameter()
    {
        var model = new Sequential(new Linear(2, 2, seed: 0), new Tanh(), new Linear(2, 1, seed: 1));
        model.Call(Tensor.Ones(4, 2)).Sum().Backward();
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
        model.ZeroGrad();
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void ToStringSummarizesTheTree()
    {
        var model = new Sequential(new Conv2d(1, 4, 3, padding: 1), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(16, 2));
        var text = model.ToString();
        Assert.StartsWith("Sequential(\n  (0): Conv2d(1, 4, kernel_size=3, stride=1, padding=1", text);
        Assert.Contains("(4): Linear(in_features=16, out_features=2, bias=True)", text);
    }

    [Fact]
    public void TapeStyleTrainingUsesTrainableVariables()
    {
        var model = new Sequential(new Linear(3, 1, seed: 5));
        var x = Tensor.Randn([4, 3], seed: 6);
        using var tape = new GradientTape();
        var loss = model.Call(x).Square().Mean();
        var grads = tape.Gradient(loss, model.TrainableVariables);
        var torch = Autograd.Grad([model.Call(x).Square().Mean()], [.. model.Parameters()]);
        for (int i = 0; i < grads.Length; i++) Assert.Equal(torch[i]!.ToArray<float>(), grads[i]!.ToArray<float>());
    }
}
