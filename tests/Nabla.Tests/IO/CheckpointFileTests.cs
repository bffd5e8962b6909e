using Nabla.IO;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.IO;

/// <summary>
/// Checkpoint: a resumed run continues bit for bit like the uninterrupted one, and a damaged or mismatched file is
/// refused before the model, optimizer or schedule change (compared bit for bit with their state before the call).
/// </summary>
public class CheckpointFileTests
{
    static (Module Net, Adam Opt, StepLR Schedule) Run(int seed = 1, int hidden = 3)
    {
        var net = new Sequential(new Linear(4, hidden, seed: seed), new Tanh(), new Linear(hidden, 1, seed: seed + 1));
        var opt = new Adam(net.Parameters(), learningRate: 0.05);
        return (net, opt, new StepLR(opt, stepSize: 2, gamma: 0.5));
    }

    static float Train(Module net, Optimizer opt, LRScheduler schedule, int from, int steps)
    {
        float loss = 0;
        for (int i = from; i < from + steps; i++)
        {
            var (x, y) = (Tensor.Randn([8, 4], seed: 100 + i), Tensor.Randn([8, 1], seed: 200 + i));
            opt.ZeroGrad();
            var l = (net.Call(x) - y).Pow(2).Mean();
            l.Backward();
            opt.Step();
            schedule.Step();
            loss = l.Item<float>();
        }
        return loss;
    }

    static float[] Parameters(Module net) => [.. net.Parameters().SelectMany(p => p.ToArray<float>())];

    static Dictionary<string, float[]> OptimizerState(Optimizer opt) =>
        opt.StateDict().ToTensors().ToDictionary(kv => kv.Key, kv => kv.Value.To(DType.Float32).Reshape(-1).ToArray<float>());

    [Fact]
    public void AResumedRunContinuesExactlyLikeTheUninterruptedOne()
    {
        using var dir = new TempDirectory();
        var (net, opt, schedule) = Run();
        Train(net, opt, schedule, 0, 3);
        Checkpoint.Save(dir.File("run.ckpt"), net, opt, schedule, step: 3, epoch: 1, metadata: new Dictionary<string, string> { ["note"] = "after 3" });
        float uninterrupted = Train(net, opt, schedule, 3, 4);

        var (net2, opt2, schedule2) = Run(seed: 50);   // different initial weights: all must come from the file
        var info = Checkpoint.Load(dir.File("run.ckpt"), net2, opt2, schedule2);
        Assert.Equal((3L, 1, "after 3"), (info.Step, info.Epoch, info.Metadata["note"]));
        Assert.Equal(0.025, opt2.LearningRate);   // StepLR halved 0.05 after step 2: the schedule's rate came back
        float resumed = Train(net2, opt2, schedule2, 3, 4);
        Assert.Equal(uninterrupted, resumed);
        Assert.Equal(Parameters(net), Parameters(net2));
        Assert.Equal(OptimizerState(opt), OptimizerState(opt2));
        Assert.Equal(["run.ckpt"], dir.Entries());   // written atomically: no temporary file left
    }

    /// <summary>Loads <paramref name="path"/> into a fresh run and asserts it throws <typeparamref name="T"/> and changes nothing.</summary>
    static T RefusedAndUnchanged<T>(string path, int hidden = 3) where T : Exception
    {
        var (net, opt, schedule) = Run(seed: 9, hidden: hidden);
        Train(net, opt, schedule, 0, 1);
        var (weights, state, rate) = (Parameters(net), OptimizerState(opt), opt.LearningRate);
        var e = Assert.Throws<T>(() => Checkpoint.Load(path, net, opt, schedule));
        Assert.Equal(weights, Parameters(net));
        Assert.Equal(state, OptimizerState(opt));
        Assert.Equal((rate, 0), (opt.LearningRate, schedule.LastEpoch - 1));
        Assert.Contains("CheckpointFileTests.cs:", e.Message);
        return e;
    }

    static string Saved(TempDirectory dir, int hidden = 3)
    {
        var (net, opt, schedule) = Run(hidden: hidden);
        Train(net, opt, schedule, 0, 3);
        var path = dir.File($"h{hidden}.ckpt");
        Checkpoint.Save(path, net, opt, schedule, step: 3);
        return path;
    }

    [Fact]
    public void ATruncatedFileIsRefused()
    {
        using var dir = new TempDirectory();
        var path = Saved(dir);
        var bytes = File.ReadAllBytes(path);
        foreach (int keep in new[] { bytes.Length - 1, bytes.Length / 2, 20, 3 })
        {
            File.WriteAllBytes(path, bytes[..keep]);
            var e = RefusedAndUnchanged<InvalidDataException>(path);
            Assert.Contains($"Checkpoint.Load: '{path}' cannot be loaded", e.Message);
            Assert.Contains("Nothing was loaded", e.Message);
        }
    }

    [Fact]
    public void AFlippedByteAnywhereIsRefused()
    {
        using var dir = new TempDirectory();
        var path = Saved(dir);
        var bytes = File.ReadAllBytes(path);
        // A byte of the last tensor's data, and one of the header's JSON (a digit of the step).
        int header = (int)BitConverter.ToUInt64(bytes, 0);
        int stepDigit = System.Text.Encoding.UTF8.GetString(bytes, 8, header).IndexOf("\"step\":\"3\"", StringComparison.Ordinal) + 8 + 8;
        foreach (int at in new[] { bytes.Length - 2, stepDigit })
        {
            var damaged = (byte[])bytes.Clone();
            damaged[at] ^= at == stepDigit ? (byte)0x07 : (byte)0x10;   // '3' becomes '4' in the header
            File.WriteAllBytes(path, damaged);
            var e = RefusedAndUnchanged<InvalidDataException>(path);
            Assert.Contains("do not match the checksum it records", e.Message);
        }
    }

    [Fact]
    public void ATensorRemovedFromTheFileIsRefused()
    {
        using var dir = new TempDirectory();
        var path = Saved(dir);
        var (tensors, metadata) = SafeTensors.LoadWithMetadata(path);
        tensors.Remove("model.2.bias");
        SafeTensors.Save(path, tensors, metadata);   // a well-formed file with the old checksum
        var e = RefusedAndUnchanged<InvalidDataException>(path);
        Assert.Contains("do not match the checksum it records", e.Message);
    }

    [Fact]
    public void ACheckpointOfAnotherShapeIsRefusedNamingEveryDifference()
    {
        using var dir = new TempDirectory();
        var path = Saved(dir, hidden: 5);
        var e = RefusedAndUnchanged<ArgumentException>(path, hidden: 3);
        Assert.Contains($"Checkpoint.Load: '{path}' does not fit this Sequential: '0.weight' has shape [5, 4] in the file but [3, 4] in the model", e.Message);
        Assert.Contains("'0.bias' has shape [5] in the file but [3] in the model", e.Message);
        Assert.Contains("'2.weight' has shape [1, 5] in the file but [1, 3] in the model", e.Message);
        Assert.Contains("Nothing was loaded", e.Message);
    }

    [Fact]
    public void AMissingModelTensorIsRefused()
    {
        using var dir = new TempDirectory();
        // A model without the last layer's bias: valid file, checksum right, but a tensor the model needs is missing.
        var net = new Sequential(new Linear(4, 3, seed: 1), new Tanh(), new Linear(3, 1, bias: false, seed: 2));
        var opt = new Adam(net.Parameters(), learningRate: 0.05);
        var path = dir.File("nobias.ckpt");
        Checkpoint.Save(path, net, opt, new StepLR(opt, 2));
        var e = RefusedAndUnchanged<ArgumentException>(path);
        Assert.Contains("missing tensor '2.bias'", e.Message);
    }

    [Fact]
    public void AnOptimizerOfAnotherKindIsRefusedAndTheModelIsUnchanged()
    {
        using var dir = new TempDirectory();
        var (net, _, _) = Run();
        var sgd = new Sgd(net.Parameters(), learningRate: 0.1, momentum: 0.9);
        var path = dir.File("sgd.ckpt");
        Checkpoint.Save(path, net, sgd, new StepLR(sgd, 2));
        var e = RefusedAndUnchanged<ArgumentException>(path);
        Assert.Contains("Adam.LoadStateDict: group 0 has unknown option '", e.Message);
    }

    [Fact]
    public void AModelOnlyFileOrAMissingFileSaysWhatItIs()
    {
        using var dir = new TempDirectory();
        var (net, _, _) = Run();
        net.Save(dir.File("model.safetensors"));
        var e = RefusedAndUnchanged<InvalidDataException>(dir.File("model.safetensors"));
        Assert.Contains("not a Nabla checkpoint", e.Message);
        var missing = RefusedAndUnchanged<FileNotFoundException>(dir.File("none.ckpt"));
        Assert.Contains("there is no checkpoint at", missing.Message);
    }

    [Fact]
    public void WithoutAnOptimizerOnlyTheModelIsSavedAndAskingForOneIsAnError()
    {
        using var dir = new TempDirectory();
        var (net, _, _) = Run();
        Checkpoint.Save(dir.File("m.ckpt"), net);
        var (net2, _, _) = Run(seed: 30);
        var info = Checkpoint.Load(dir.File("m.ckpt"), net2);
        Assert.Equal((0L, 0), (info.Step, info.Epoch));
        Assert.Equal(Parameters(net), Parameters(net2));
        var e = RefusedAndUnchanged<ArgumentException>(dir.File("m.ckpt"));
        Assert.Contains("holds no optimizer state", e.Message);
    }

    [Fact]
    public void AScheduleThatRefusesTheSavedStateLeavesTheOptimizerAsItWas()
    {
        using var dir = new TempDirectory();
        var path = Saved(dir);   // saved with a StepLR, which has no T_cur / T_i
        var (net, opt, _) = Run(seed: 9);
        var restarts = new CosineAnnealingWarmRestarts(opt, t0: 3);
        Train(net, opt, restarts, 0, 2);
        var (weights, state, rate, epoch) = (Parameters(net), OptimizerState(opt), opt.LearningRate, restarts.LastEpoch);
        var e = Assert.Throws<ArgumentException>(() => Checkpoint.Load(path, net, opt, restarts));
        Assert.Contains("T_cur", e.Message);
        Assert.Contains("CheckpointFileTests.cs:", e.Message);
        // The optimizer had already taken the file's state (its check passed); it was given its own back.
        Assert.Equal(state, OptimizerState(opt));
        Assert.Equal(weights, Parameters(net));
        Assert.Equal((rate, epoch), (opt.LearningRate, restarts.LastEpoch));
    }
}
