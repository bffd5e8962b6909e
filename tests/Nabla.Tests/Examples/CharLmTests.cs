using Nabla.Examples.CharLM;

namespace Nabla.Tests.Examples;

/// <summary>
/// The CharLM example (examples/CharLM, its files compiled in): the command line, and a tiny model trained through
/// the example's own trainer: its loss falls, compiled and eager agree, the checkpoint round-trips, sampling is seeded.
/// </summary>
public class CharLmTests
{
    [Fact]
    public void DefaultsAndValuesParse()
    {
        var (d, error) = Options.Parse([]);
        Assert.Null(error);
        Assert.Equal((4, 4, 128, 128, 32, 1600, 0.002, "torch", true, false),
            (d!.Layers, d.Heads, d.Width, d.Context, d.BatchSize, d.Steps, d.LearningRate, d.Style, d.Compile, d.Sample));

        var (o, error2) = Options.Parse(["--layers", "2", "--width", "64", "--heads", "8", "--lr", "1e-3", "--eager", "--style", "tf",
            "--limit", "10", "--dropout", "0.1", "--top-k", "0", "--temperature", "1.5", "--prompt", "JULIET:"]);
        Assert.Null(error2);
        Assert.Equal((2, 64, 8, 1e-3, false, "tf", 10, 0.1, null, 1.5, "JULIET:"),
            (o!.Layers, o.Width, o.Heads, o.LearningRate, o.Compile, o.Style, o.Limit, o.Dropout, o.TopK, o.Temperature, o.Prompt));

        var (s, error3) = Options.Parse(["--sample", "--checkpoint", "m.safetensors", "--tokens", "50", "--seed", "7"]);
        Assert.Null(error3);
        Assert.Equal((true, "m.safetensors", 50, 7, 20), (s!.Sample, s.Checkpoint, s.Tokens, s.Seed, s.TopK));
    }

    [Theory]
    [InlineData(new[] { "--layer", "3" }, "unknown option --layer (--help lists the options)")]
    [InlineData(new[] { "-n" }, "unknown option -n (--help lists the options)")]
    [InlineData(new[] { "ROMEO:" }, "unexpected argument 'ROMEO:': options start with -- (--help lists them)")]
    [InlineData(new[] { "--steps" }, "option --steps needs a value")]
    [InlineData(new[] { "--style", "jax" }, "--style: 'jax' is not one of torch, tf")]
    [InlineData(new[] { "--steps", "many" }, "--steps: 'many' is not a valid value")]
    [InlineData(new[] { "--steps", "0" }, "--steps must be positive, got 0")]
    [InlineData(new[] { "--lr", "-1" }, "--lr must be a positive number, got -1")]
    [InlineData(new[] { "--dropout", "1" }, "--dropout must be in [0, 1), got 1")]
    [InlineData(new[] { "--top-k", "-2" }, "--top-k must not be negative, got -2")]
    [InlineData(new[] { "--temperature", "0" }, "--temperature must be a positive number, got 0")]
    [InlineData(new[] { "--prompt", "" }, "--prompt must not be empty")]
    [InlineData(new[] { "--seed", "99999999999" }, "--seed: '99999999999' is out of range")]
    [InlineData(new[] { "--heads", "3" }, "--heads 3 does not divide --width 128: each head gets width/heads features")]
    [InlineData(new[] { "--warmup", "50", "--steps", "50" }, "--warmup 50 must be smaller than --steps 50 (lower --warmup, or keep --steps and stop early with --limit N)")]
    [InlineData(new[] { "--sample" }, "--sample needs --checkpoint PATH (a charlm-model.safetensors written by a training run)")]
    public void MistakesAreNamed(string[] args, string expected)
    {
        var (o, error) = Options.Parse(args);
        Assert.Null(o);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void HelpIsNoError()
    {
        var (o, error) = Options.Parse(["-h"]);
        Assert.Null(o);
        Assert.Equal("", error);
    }

    // A short play in the format of Tiny Shakespeare, repeated: enough structure for a tiny model to learn quickly.
    const string Play = "ROMEO:\nBut soft, what light through yonder window breaks?\n\nJULIET:\nO Romeo, Romeo, wherefore art thou Romeo?\n\n";

    static readonly Options Tiny = new()
    {
        Layers = 1, Heads = 2, Width = 16, Context = 16, BatchSize = 8, Steps = 40, Warmup = 2, LearningRate = 1e-2, WeightDecay = 0.1,
    };

    static (TextData Data, Gpt Model, Trainer Trainer) Make(Options o)
    {
        var data = new TextData(string.Concat(Enumerable.Repeat(Play, 30)));
        var model = new Gpt(new GptConfig(data.Vocabulary.Length, o.Context, o.Layers, o.Heads, o.Width, o.Dropout), seed: 3);
        return (data, model, new Trainer(model, o, o.Steps));
    }

    static double[] Train(Options o, int steps, out Gpt model, out TextData data)
    {
        (data, model, var trainer) = Make(o);
        var random = new Random(5);
        var losses = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            var (x, y) = TextData.Batch(data.Train, o.BatchSize, o.Context, random);
            losses[i] = trainer.Step(x, y);
        }
        return losses;
    }

    [Fact]
    public void TinyTrainingLowersTheLoss()
    {
        var losses = Train(Tiny, Tiny.Steps, out var model, out var data);
        // N(0, 0.02) weights make the first logits nearly equal: the first loss is close to ln(vocabulary).
        Assert.Equal(Math.Log(data.Vocabulary.Length), losses[0], 0.05);
        // 40 steps take it from 3.55 to about 1.9 nats (the repeated play has far less entropy than its alphabet).
        Assert.True(losses[^5..].Average() < 0.6 * losses[0], $"loss went from {losses[0]:F4} to {losses[^5..].Average():F4}");
        double validation = Trainer.Evaluate(model, data.Validation, batches: 4, batchSize: 8);
        Assert.True(validation < 0.6 * losses[0], $"validation loss {validation:F4} against a first loss of {losses[0]:F4}");
        // The same windows each time: evaluating twice gives the same number.
        Assert.Equal(validation, Trainer.Evaluate(model, data.Validation, batches: 4, batchSize: 8));
    }

    [Fact]
    public void CompiledStepGivesEagerLossesAndStylesAgree()
    {
        var compiled = Train(Tiny, 6, out _, out _);
        var eager = Train(Tiny with { Compile = false }, 6, out _, out _);
        Assert.Equal(eager, compiled);   // bit for bit: a replay runs the same kernels in the same order
        var tf = Train(Tiny with { Style = "tf" }, 6, out _, out _);
        for (int i = 0; i < tf.Length; i++) Assert.Equal(compiled[i], tf[i], 1e-5);
    }

    [Fact]
    public void CheckpointRoundTripsAndSamplingIsSeeded()
    {
        Train(Tiny, 20, out var model, out var data);
        string dir = Directory.CreateTempSubdirectory("charlm-test").FullName;
        try
        {
            string path = Path.Combine(dir, "charlm-model.safetensors");
            Checkpoint.Save(path, model, data.Vocabulary);
            var (loaded, vocabulary) = Checkpoint.Load(path);
            Assert.Equal(data.Vocabulary, vocabulary);
            Assert.Equal(model.Config with { Dropout = 0 }, loaded.Config);
            foreach (var ((name, p), (name2, q)) in model.NamedParameters().Zip(loaded.NamedParameters()))
            {
                Assert.Equal(name, name2);
                Assert.Equal(p.ToArray<float>(), q.ToArray<float>());
            }

            var prompt = data.Codec.Encode("ROMEO:", "prompt");
            var a = Trainer.Generate(model, prompt, 30, 0.8, 5, seed: 11);
            var b = Trainer.Generate(loaded, prompt, 30, 0.8, 5, seed: 11);
            var c = Trainer.Generate(model, prompt, 30, 0.8, 5, seed: 12);
            Assert.Equal(a, b);
            Assert.Equal(36, a.Length);
            Assert.Equal(prompt, a[..6]);
            Assert.NotEqual(a, c);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void BadCheckpointAndPromptAreNamed()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => Checkpoint.Load("/nonexistent/charlm.safetensors"));
        Assert.Equal("--checkpoint: '/nonexistent/charlm.safetensors' does not exist.", missing.Message);
        var codec = new Codec(['\n', ' ', 'A', 'B']);
        var e = Assert.Throws<ArgumentException>(() => codec.Encode("AB@", "--prompt"));
        Assert.Equal("--prompt: the character '@' (U+0040) is not in the model's vocabulary (the 4 characters of its training text).", e.Message);
    }
}
