using Nabla.IO;
using Nabla.NN;
using Nabla.Tests.IO;

namespace Nabla.Tests.Graphs;

/// <summary>
/// A saved graph runs in another process that has none of the model's C# code (examples/RunGraph, built with
/// the tests), and gives the compiled function's results bit for bit.
/// </summary>
public class SavedGraphProcessTests
{
    [Fact]
    public void AnotherProcessWithoutTheModelCodeGivesTheSameBits()
    {
        using var dir = new TempDirectory();
        var model = new Sequential(new Conv2d(1, 2, 3, padding: 1, seed: 5), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(2 * 4 * 4, 3, seed: 6));
        model.Eval();
        var compiled = Graph.Compile(model);
        var x = Tensor.Randn([2, 1, 8, 8], seed: 7);
        var expected = compiled.Call(x).ToArray<float>();
        compiled.Save(dir.File("model.graph"), includeWeights: true);
        SafeTensors.Save(dir.File("inputs.safetensors"), new Dictionary<string, Tensor> { ["input0"] = x });

        var (code, output) = RunGraph(dir.File("model.graph"), dir.File("inputs.safetensors"), dir.File("outputs.safetensors"));
        Assert.True(code == 0, output);
        Assert.Contains("1 input(s) -> 1 output(s)", output);
        Assert.Equal(expected, SafeTensors.Load(dir.File("outputs.safetensors"))["output0"].ToArray<float>());
    }

    [Fact]
    public void AnUnseenSignatureIsAClearErrorInTheOtherProcess()
    {
        using var dir = new TempDirectory();
        var w = new Variable(Tensor.Randn([4, 2], seed: 1));
        var compiled = Graph.Compile((Tensor x) => x.MatMul(w));
        compiled.Call(Tensor.Ones([3, 4]));
        compiled.Save(dir.File("f.graph"), includeWeights: true);
        SafeTensors.Save(dir.File("in.safetensors"), new Dictionary<string, Tensor> { ["input0"] = Tensor.Ones([5, 4]) });
        var (code, output) = RunGraph(dir.File("f.graph"), dir.File("in.safetensors"), dir.File("out.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("RunGraph:", output);
        Assert.Contains("[3, 4]", output);                                   // names the saved signature
        Assert.False(File.Exists(dir.File("out.safetensors")));
    }

    internal static (int Code, string Output) RunGraph(params string[] args)
    {
        // tests/Nabla.Tests/bin/<Configuration>/net10.0/ -> the repository, and the same configuration of the tool.
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = baseDir.Parent!.Name, framework = baseDir.Name;
        var repo = baseDir.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var tool = Path.Combine(repo, "examples", "RunGraph", "bin", configuration, framework, "RunGraph.dll");
        Assert.True(File.Exists(tool), $"{tool} was not built with the tests");
        var (code, stdout, stderr) = TestUtil.DotnetProcess.Run(tool, args, TimeSpan.FromMinutes(2));
        return (code, stdout + stderr);
    }
}
