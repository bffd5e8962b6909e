using Nabla.IO;

namespace Nabla.Examples.CharLM;

/// <summary>
/// The model file: the GPT's state dict in safetensors (nanoGPT's names), written atomically by
/// <see cref="SafeTensors.Save(string, IReadOnlyDictionary{string, Tensor}, IReadOnlyDictionary{string, string}?)"/>,
/// with the model's shape and its vocabulary in the metadata, so that --sample needs nothing else.
/// </summary>
static class Checkpoint
{
    public static void Save(string path, Gpt model, char[] vocabulary)
    {
        var metadata = model.Config.ToMetadata();
        metadata["format"] = "pt";
        metadata["vocabulary"] = new string(vocabulary);
        SafeTensors.Save(path, model.StateDict(), metadata);
    }

    public static (Gpt Model, char[] Vocabulary) Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--checkpoint: '{path}' does not exist.", path);
        var (tensors, metadata) = SafeTensors.LoadWithMetadata(path);
        var config = GptConfig.FromMetadata(metadata, path);
        if (!metadata.TryGetValue("vocabulary", out var vocabulary) || vocabulary.Length != config.VocabSize)
            throw new InvalidDataException($"{path}: the metadata's vocabulary is missing or does not have {config.VocabSize} characters.");
        var model = new Gpt(config);
        model.LoadStateDict(tensors);
        return (model, vocabulary.ToCharArray());
    }
}
