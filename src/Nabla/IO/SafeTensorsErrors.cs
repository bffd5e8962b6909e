namespace Nabla.IO;

/// <summary>
/// Builds the <see cref="InvalidDataException"/> thrown for a malformed safetensors file: the message
/// names the file and says what is wrong. (InvalidDataException is sealed, hence a factory and not a subclass.)
/// </summary>
internal static class SafeTensorsErrors
{
    public static InvalidDataException Invalid(string source, string problem, Exception? inner = null) =>
        new($"Invalid safetensors file '{source}': {problem}", inner);
}
