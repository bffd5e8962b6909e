using Nabla.IO;
using Nabla.NN;

namespace Nabla.Tests.NN;

public class ModuleSaveTests
{
    static Sequential Net(int seed) => new(new Linear(3, 4, seed: seed), new ReLU(), new Linear(4, 2, seed: seed + 1));

    [Fact]
    public void SaveThenLoadRestoresEveryValue()
    {
        var dir = Directory.CreateTempSubdirectory("nabla-save-");
        try
        {
            var path = Path.Combine(dir.FullName, "net.safetensors");
            var a = Net(1);
            a.Save(path);
            var b = Net(2);
            var x = Tensor.FromArray(new float[] { 0.5f, -1f, 2f }, [1, 3]);
            Assert.NotEqual(a.Call(x).ToArray<float>(), b.Call(x).ToArray<float>());
            b.Load(path);
            Assert.Equal(a.Call(x).ToArray<float>(), b.Call(x).ToArray<float>());
            Assert.Equal("pt", SafeTensors.ReadMetadata(path)["format"]);
            Assert.Equal(["0.bias", "0.weight", "2.bias", "2.weight"], SafeTensors.Load(path).Keys.Order());
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void LoadingAnotherArchitectureNamesTheKeys()
    {
        var dir = Directory.CreateTempSubdirectory("nabla-save-");
        try
        {
            var path = Path.Combine(dir.FullName, "net.safetensors");
            Net(1).Save(path);
            var other = new Sequential(new Linear(3, 5, seed: 3));
            var ex = Assert.Throws<ArgumentException>(() => other.Load(path));
            Assert.Contains("0.weight", ex.Message);
            Assert.Contains("2.weight", ex.Message);
        }
        finally { dir.Delete(recursive: true); }
    }
}
