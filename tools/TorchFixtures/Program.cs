// Reference files from libtorch for Nabla's tests (see TorchFixtures.csproj). Each generator is a static method in a
// Run: dotnet run -c Release --project tools/TorchFixtures [-- NAME]   (all generators, or the one named)
// file of its own (Lstm.cs, Attention.cs, ...) registered in Generators below; it fills a dictionary of named tensors
// (the layer's state dict under PyTorch's names, inputs, outputs, gradients) that Fixture.Save writes.
using TorchFixtures;

var outDir = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../../tests/Nabla.Tests/Fixtures/torch"));
var only = args.Length > 0 ? args[0] : null;
Directory.CreateDirectory(outDir);
foreach (var (name, generate) in Generators.All)
{
    if (only is not null && only != name) continue;
    var tensors = new Dictionary<string, TorchSharp.torch.Tensor>();
    generate(tensors);
    Fixture.Save(Path.Combine(outDir, name + ".safetensors"), tensors, name);
    Console.WriteLine($"{name}: {tensors.Count} tensors -> {Path.Combine(outDir, name + ".safetensors")}");
}

namespace TorchFixtures
{
    static partial class Generators
    {
        /// <summary>Every generator: the file name (without .safetensors) and the method that fills it. One line each.</summary>
        public static readonly (string Name, Action<Dictionary<string, TorchSharp.torch.Tensor>> Generate)[] All =
        [
            ("smoke_linear", SmokeLinear),
            ("mha_batch_first", MhaBatchFirst),
            ("mha_kdim", MhaKdim),
            ("encoder_layer_relu", EncoderLayerRelu),
            ("encoder_layer_gelu", EncoderLayerGelu),
            ("encoder_layer_norm_first", EncoderLayerNormFirst),
            ("decoder_layer", DecoderLayer),
            ("transformer_small", SmallTransformer),
            ("rnn_tanh_2layer_bidirectional_batchfirst", RnnTanh2LayerBidirectionalBatchFirst),
            ("lstm_2layer_bidirectional_h0c0", Lstm2LayerBidirectionalH0C0),
            ("gru_nobias_batchfirst", GruNoBiasBatchFirst),
            ("lstm_bidirectional_packed_lengths", LstmBidirectionalPackedLengths),
        ];

        /// <summary>A check of the tool itself: nn.Linear(3, 2) with seed 0, its input and output.</summary>
        static void SmokeLinear(Dictionary<string, TorchSharp.torch.Tensor> t)
        {
            TorchSharp.torch.manual_seed(0);
            var lin = TorchSharp.torch.nn.Linear(3, 2);
            foreach (var (n, p) in lin.named_parameters()) t[n] = p.detach();
            var x = TorchSharp.torch.randn(4, 3);
            t["input"] = x;
            t["output"] = lin.forward(x).detach();
        }
    }

    static class Fixture
    {
        /// <summary>
        /// Copies libtorch tensors (float32, float64, int64, bool) into Nabla tensors and saves them with Nabla's
        /// safetensors writer; the metadata names the generator and libtorch's version.
        /// </summary>
        public static void Save(string path, Dictionary<string, TorchSharp.torch.Tensor> tensors, string generator)
        {
            var converted = new Dictionary<string, Nabla.Tensor>();
            foreach (var (name, t) in tensors) converted[name] = ToNabla(t.contiguous().cpu());
            var meta = new Dictionary<string, string>
            {
                ["generator"] = $"tools/TorchFixtures {generator}",
                ["libtorch"] = TorchSharp.torch.__version__,
            };
            Nabla.IO.SafeTensors.Save(path, converted, meta);
        }

        static Nabla.Tensor ToNabla(TorchSharp.torch.Tensor t)
        {
            int[] shape = t.shape.Select(d => (int)d).ToArray();
            return t.dtype switch
            {
                TorchSharp.torch.ScalarType.Float32 => Nabla.Tensor.FromArray(t.data<float>().ToArray(), shape),
                TorchSharp.torch.ScalarType.Float64 => Nabla.Tensor.FromArray(t.data<double>().ToArray(), shape),
                TorchSharp.torch.ScalarType.Int64 => Nabla.Tensor.FromArray(t.data<long>().ToArray(), shape),
                TorchSharp.torch.ScalarType.Bool => Nabla.Tensor.FromArray(t.data<bool>().ToArray(), shape),
                _ => throw new NotSupportedException($"fixture tensor dtype {t.dtype} is not converted; add it to Fixture.ToNabla."),
            };
        }
    }
}
