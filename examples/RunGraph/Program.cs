// Runs a graph saved by CompiledFunction.Save in a process that has none of the model's C# code (the
// role of a TorchScript or SavedModel runner):
//   dotnet run --project examples/RunGraph -- MODEL.graph INPUTS.safetensors OUTPUTS.safetensors [WEIGHTS.safetensors]
// INPUTS holds the arguments as tensors named input0, input1, ...; OUTPUTS receives output0, output1, ...
// WEIGHTS is needed when the graph was saved without its weights (they are looked up by name).
using Nabla;
using Nabla.IO;

if (args.Length is < 3 or > 4)
{
    Console.Error.WriteLine("usage: RunGraph MODEL.graph INPUTS.safetensors OUTPUTS.safetensors [WEIGHTS.safetensors]");
    return 2;
}
try
{
    var weights = args.Length == 4 ? SafeTensors.Load(args[3]) : null;
    var function = CompiledFunction.Load(args[0], weights);
    var inputs = SafeTensors.Load(args[1]);
    var arguments = new List<Tensor>();
    for (int i = 0; inputs.TryGetValue($"input{i}", out var t); i++) arguments.Add(t);
    if (arguments.Count != inputs.Count)
        throw new ArgumentException($"{args[1]}: the tensors must be named input0, input1, ... without gaps; found {string.Join(", ", inputs.Keys)}.");
    var outputs = function.CallMany([.. arguments]);
    SafeTensors.Save(args[2], outputs.Select((y, i) => (Name: $"output{i}", Tensor: y)).ToDictionary(p => p.Name, p => p.Tensor));
    Console.WriteLine($"{function.Name}: {arguments.Count} input(s) -> {outputs.Length} output(s) written to {args[2]}");
    return 0;
}
catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException or IOException or NotSupportedException)
{
    Console.Error.WriteLine($"RunGraph: {e.Message}");
    return 1;
}
