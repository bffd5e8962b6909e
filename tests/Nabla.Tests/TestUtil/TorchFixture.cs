using Nabla.IO;

namespace Nabla.Tests.TestUtil;

/// <summary>
/// Reference files written by libtorch through tools/TorchFixtures (one generator per file, named in its metadata):
/// a PyTorch layer's state dict under PyTorch's names plus inputs, outputs and gradients.
/// </summary>
public static class TorchFixture
{
    /// <summary>Loads tests/Nabla.Tests/Fixtures/torch/<paramref name="name"/>.safetensors.</summary>
    public static Dictionary<string, Tensor> Load(string name) => SafeTensors.Load(PathOf(name));

    /// <summary>
    /// The tensors whose names start with <paramref name="prefix"/>, with the prefix removed: the state dict of one
    /// layer stored as "lstm.weight_ih_l0", ... beside inputs and outputs.
    /// </summary>
    public static Dictionary<string, Tensor> WithPrefix(Dictionary<string, Tensor> all, string prefix) =>
        all.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
           .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    /// <summary>The file's path, found by walking up from the test binaries to the repository.</summary>
    public static string PathOf(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Nabla.Tests", "Fixtures", "torch", name + ".safetensors");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"fixture '{name}' not found under tests/Nabla.Tests/Fixtures/torch; run tools/TorchFixtures to write it.");
    }
}
