using Nabla.Engine;
using Nabla.NN;
using Nabla.Optim;
using Nabla.Primitives;

namespace Nabla.Tests.Dispatching;

/// <summary>
/// Dispatch is the only place effects happen: an interpreter added with <c>Dispatch.Observe</c> sees every
/// primitive call, write, host read and host write of a full training step, in both styles. "Every" is
/// checked, not assumed: each tensor an op reads or writes must be one the interpreter saw being made (or
/// a view of one), or one that existed before the step; and each parameter's version went up exactly by
/// the writes the interpreter saw on it.
/// </summary>
[Collection("GlobalRandomState")]
public class InterpreterTests
{
    sealed class Counter : Interpreter
    {
        public readonly Dictionary<string, int> Calls = new(StringComparer.Ordinal);
        public readonly Dictionary<string, int> Writes = new(StringComparer.Ordinal);
        public readonly HashSet<object> Known = new(ReferenceEqualityComparer.Instance);
        public readonly List<string> Unseen = [];
        public readonly Dictionary<object, int> WritesTo = new(ReferenceEqualityComparer.Instance);
        public int HostReads, HostWrites;

        public void Expect(Tensor t) => Known.Add(t.Storage);

        void Check(string what, Tensor t)
        {
            if (!Known.Contains(t.Storage)) Unseen.Add($"{what}: {t.Shape} {t.DType}");
        }

        public override void Call(Primitive op, Tensor[] inputs, ReadOnlySpan<Tensor> outputs)
        {
            Calls[op.Name] = Calls.GetValueOrDefault(op.Name) + 1;
            foreach (var x in inputs) Check($"input of {op.Name}", x);
            foreach (var y in outputs) Known.Add(y.Storage);
        }

        public override void Write(Primitive op, Tensor[] inputs)
        {
            Writes[op.Name] = Writes.GetValueOrDefault(op.Name) + 1;
            foreach (var x in inputs) Check($"input of {op.Name}", x);
            foreach (int i in op.Writes) WritesTo[inputs[i].Storage] = WritesTo.GetValueOrDefault(inputs[i].Storage) + 1;
        }

        public override void HostRead(Tensor t)
        {
            HostReads++;
            Check("host read", t);
        }

        public override void HostWrite(Tensor t)
        {
            HostWrites++;
            Known.Add(t.Storage);
        }
    }

    static Sequential Cnn() => new(
        new Conv2d(1, 4, 3, padding: 1, seed: 3), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(64, 3, seed: 4));

    static (Tensor X, Tensor Labels) Batch() =>
        (Tensor.Randn([8, 1, 8, 8], seed: 7), Tensor.FromArray(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 }, [8]));

    static Counter Observe(Module model, Optimizer optimizer, (Tensor X, Tensor Labels) batch, Action step, out int[] versionsBefore)
    {
        var counter = new Counter();
        foreach (var p in model.Parameters()) counter.Expect(p);
        counter.Expect(batch.X);
        counter.Expect(batch.Labels);
        foreach (var state in optimizer.StateDict().State.Values)
            foreach (var t in state.Values) counter.Expect(t);
        versionsBefore = model.Parameters().Select(p => p.Version).ToArray();
        using (Dispatch.Observe(counter)) step();
        return counter;
    }

    static void AssertSawEverything(Counter c, Module model, int[] versionsBefore, int steps)
    {
        Assert.True(c.Unseen.Count == 0, "tensors that appeared without an effect the interpreter saw:\n" + string.Join("\n", c.Unseen));

        // Forward ops, backward ops (max_unpool is max-pooling's gradient; conv's input gradient, a fold, is
        // skipped: the data needs none), the loss.
        foreach (var name in new[] { "unfold", "matmul", "relu", "max_pool2d", "max_unpool", "relu_backward", "sum" })
            Assert.True(c.Calls.ContainsKey(name), $"no '{name}' call seen; saw {string.Join(", ", c.Calls.Keys.Order())}");
        var parameters = model.Parameters().ToArray();
        // Adam writes each parameter once per step, through the fused step or the in-place ops.
        for (int i = 0; i < parameters.Length; i++)
        {
            int bumps = parameters[i].Version - versionsBefore[i];
            Assert.True(bumps >= steps, $"parameter {i} changed version {bumps} times in {steps} steps");
            Assert.Equal(bumps, c.WritesTo.GetValueOrDefault(parameters[i].Storage));
        }
    }

    [Fact]
    public void SeesEveryEffectOfATorchStyleTrainingStep()
    {
        var model = Cnn();
        var optimizer = new Adam(model.Parameters(), learningRate: 0.01);
        var batch = Batch();
        var c = Observe(model, optimizer, batch, () =>
        {
            for (int step = 0; step < 2; step++)
            {
                optimizer.ZeroGrad();
                var loss = Functional.CrossEntropy(model.Call(batch.X), batch.Labels);
                loss.Backward();
                optimizer.Step();
                _ = loss.Item<float>();
            }
        }, out var before);
        AssertSawEverything(c, model, before, steps: 2);
        Assert.Equal(2 * model.Parameters().Count(), c.Writes.GetValueOrDefault("adam_step"));
        Assert.True(c.HostReads >= 2, $"two Item() calls, saw {c.HostReads} host reads");
    }

    [Fact]
    public void SeesEveryEffectOfATfStyleTrainingStep()
    {
        var model = Cnn();
        var optimizer = new Adam(learningRate: 0.01);
        var batch = Batch();
        var c = Observe(model, optimizer, batch, () =>
        {
            for (int step = 0; step < 2; step++)
            {
                using var tape = new GradientTape();
                var loss = Functional.CrossEntropy(model.Call(batch.X), batch.Labels);
                var grads = tape.Gradient(loss, model.TrainableVariables);
                optimizer.ApplyGradients(grads.Zip(model.TrainableVariables));
            }
        }, out var before);
        AssertSawEverything(c, model, before, steps: 2);
        Assert.Equal(2 * model.Parameters().Count(), c.Writes.GetValueOrDefault("adam_step"));
    }

    [Fact]
    public void UnfusedUpdatesAndPrintingAreSeenToo()
    {
        // AMSGrad takes Adam's in-place tensor path (no fused step): its writes are assign ops.
        var model = Cnn();
        var optimizer = new Adam(model.Parameters(), learningRate: 0.01, amsgrad: true);
        var batch = Batch();
        string printed = "";
        var c = Observe(model, optimizer, batch, () =>
        {
            var loss = Functional.CrossEntropy(model.Call(batch.X), batch.Labels);
            loss.Backward();
            optimizer.Step();
            printed = loss.ToString();
        }, out var before);
        AssertSawEverything(c, model, before, steps: 1);
        Assert.False(c.Writes.ContainsKey("adam_step"));
        Assert.True(c.Writes.GetValueOrDefault("assign") >= model.Parameters().Count());
        Assert.StartsWith("tensor(", printed);
        Assert.True(c.HostReads >= 1);
    }

    [Fact]
    public void ScopesEndAndNestInOrder()
    {
        var outer = new Counter();
        var inner = new Counter();
        var x = Tensor.Ones(3);
        outer.Expect(x);
        inner.Expect(x);
        using (Dispatch.Observe(outer))
        {
            _ = x.Exp();
            using (Dispatch.Observe(inner)) _ = x.Sin();
            _ = x.Cos();
        }
        _ = x.Tanh();
        Assert.Equal(["cos", "exp", "sin"], outer.Calls.Keys.Order().ToArray());
        Assert.Equal(["sin"], inner.Calls.Keys.ToArray());
    }

    [Fact]
    public async Task ScopesFollowTheFlowOfControlLikeGradMode()
    {
        // A task started inside the scope carries it (AsyncLocal), even when it runs after the scope ended;
        // code after the scope in the starting flow does not.
        var counter = new Counter();
        var x = Tensor.Ones(3);
        counter.Expect(x);
        var go = new TaskCompletionSource();
        Task child;
        using (Dispatch.Observe(counter))
            child = Task.Run(async () =>
            {
                await go.Task;
                _ = x.Exp();
            });
        _ = x.Sin();
        go.SetResult();
        await child;
        Assert.Equal(["exp"], counter.Calls.Keys.ToArray());
    }
}
