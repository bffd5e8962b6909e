using Nabla.IO;

namespace Nabla.NN;

public abstract partial class Module
{
    /// <summary>
    /// Writes <see cref="StateDict"/> to a safetensors file (the Hugging Face format PyTorch's ecosystem
    /// reads, with metadata <c>format: pt</c> as its writers add). The write is atomic: a failure leaves
    /// any existing file untouched and no partial file behind.
    /// </summary>
    /// <example><code>
    /// model.Save("model.safetensors");
    /// var copy = new MyNet();
    /// copy.Load("model.safetensors");
    /// </code></example>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        SafeTensors.Save(path, StateDict(), new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>
    /// Reads a safetensors file (validated as a whole before use) and loads it with
    /// <see cref="LoadStateDict"/>: strict by default, so missing or unexpected keys and any shape or
    /// dtype mismatch are errors naming them.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file.</exception>
    /// <exception cref="ArgumentException">Its tensors do not match this module.</exception>
    public LoadStateDictResult Load(string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(path);
        return LoadStateDict(SafeTensors.Load(path), strict);
    }
}
