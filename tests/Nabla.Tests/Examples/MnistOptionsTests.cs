using Nabla.Examples.Mnist;

namespace Nabla.Tests.Examples;

/// <summary>The MNIST example's command line: what a user who mistypes an option is told.</summary>
public class MnistOptionsTests
{
    [Fact]
    public void DefaultsAndValuesParse()
    {
        var (o, error) = Options.Parse(["--model", "mlp", "--epochs", "3", "--lr", "0.01", "--eager", "--limit", "500", "--style", "tf"]);
        Assert.Null(error);
        Assert.Equal(("mlp", 3, 0.01, false, 500, "tf", 64, "cosine"),
            (o!.Model, o.Epochs, o.LearningRate, o.Compile, o.Limit, o.Style, o.BatchSize, o.Schedule));
    }

    [Theory]
    [InlineData(new[] { "--epoch", "3" }, "unknown option --epoch (--help lists the options)")]
    [InlineData(new[] { "--verbose" }, "unknown option --verbose (--help lists the options)")]
    [InlineData(new[] { "-v" }, "unknown option -v (--help lists the options)")]
    [InlineData(new[] { "cnn" }, "unexpected argument 'cnn': options start with -- (--help lists them)")]
    [InlineData(new[] { "--epochs" }, "option --epochs needs a value")]
    [InlineData(new[] { "--model", "resnet" }, "--model: 'resnet' is not one of mlp, cnn")]
    [InlineData(new[] { "--style", "jax" }, "--style: 'jax' is not one of torch, tf")]
    [InlineData(new[] { "--epochs", "two" }, "--epochs: 'two' is not a valid value")]
    [InlineData(new[] { "--epochs", "0" }, "--epochs must be positive, got 0")]
    [InlineData(new[] { "--lr", "-1" }, "--lr must be a positive number, got -1")]
    [InlineData(new[] { "--seed", "99999999999" }, "--seed: '99999999999' is out of range")]
    public void MistakesAreNamed(string[] args, string expected)
    {
        var (o, error) = Options.Parse(args);
        Assert.Null(o);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void HelpIsNoError()
    {
        var (o, error) = Options.Parse(["--help"]);
        Assert.Null(o);
        Assert.Equal("", error);
    }
}
