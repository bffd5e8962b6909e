using Nabla.Engine;

namespace Nabla.NN;

/// <summary>
/// What <see cref="RNN"/>, <see cref="LSTM"/> and <see cref="GRU"/> share (torch.nn.RNNBase): the options, the parameters
/// under PyTorch's names (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, with the suffix _reverse for the
/// backward direction; weight_ih_l0 is [gates·H, inputSize], deeper layers [gates·H, dirs·H], weight_hh [gates·H, H], biases
/// [gates·H]), all initialized U(-1/√H, 1/√H) as PyTorch, and the loop over layers, directions and time steps.
/// </summary>
/// <remarks>
/// Each step is one MatMul, [x_t, h]·[W_ih, W_hh]ᵀ (GRU: one for x_t and one for h, as its n gate needs them apart), and
/// the gates' elementwise ops; layers pass their per-step outputs on without stacking and slicing them (the gradient of
/// each slice would be padded to the whole sequence: O(L²)). Unlike libtorch, the input projection is not one MatMul over
/// the whole sequence, for that reason. All are differentiable Tensor ops, so the layer works eagerly, under Graph.Compile and with derivatives of any order. Variable-length batches: pass
/// <c>lengths</c> (int64 [N], each in 1..L), the equivalent of PyTorch's pack_padded_sequence(enforce_sorted: false) → layer →
/// pad_packed_sequence(total_length: L): outputs past a sequence's length are zero, its final state is the state at its
/// last valid step, and the reverse direction starts at its own last valid step.
/// </remarks>
public abstract class RNNBase : Module
{
    readonly Generator? _dropoutGenerator;
    readonly int _gates;
    readonly string _op;

    private protected RNNBase(string op, int gates, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst,
        double dropout, bool bidirectional, int? seed, DType dtype)
    {
        if (inputSize < 1 || hiddenSize < 1)
            throw Errors.Arg(op, $"inputSize and hiddenSize must be positive, got inputSize = {inputSize}, hiddenSize = {hiddenSize}.");
        if (numLayers < 1) throw Errors.Arg(op, $"numLayers must be at least 1, got {numLayers}.");
        if (!(dropout >= 0 && dropout <= 1))
            throw Errors.Arg(op, $"dropout must be a probability in [0, 1], got {dropout}.");
        Init.CheckDType(op, dtype);
        (_op, _gates, InputSize, HiddenSize, NumLayers, Bias, BatchFirst, Dropout, Bidirectional) =
            (op, gates, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional);
        _dropoutGenerator = seed is int s ? new Generator(Init.StreamSeed(s, 1 << 20)!.Value) : null;
        double bound = Init.Bound(hiddenSize);
        int stream = 0, rows = gates * hiddenSize;
        for (int layer = 0; layer < numLayers; layer++)
            for (int dir = 0; dir < Directions; dir++)
            {
                string suffix = $"_l{layer}" + (dir == 1 ? "_reverse" : "");
                int inSize = layer == 0 ? inputSize : Directions * hiddenSize;
                Add("weight_ih" + suffix, [rows, inSize]);
                Add("weight_hh" + suffix, [rows, hiddenSize]);
                if (bias)
                {
                    Add("bias_ih" + suffix, [rows]);
                    Add("bias_hh" + suffix, [rows]);
                }
            }

        void Add(string name, int[] shape) =>
            _parameters.Add(RegisterParameter(name, new Variable(Init.Uniform(shape, bound, dtype, seed, stream++), name: name)));
    }

    readonly List<Variable> _parameters = [];

    /// <summary>Features of each input step.</summary>
    public int InputSize { get; }

    /// <summary>Features of the hidden state.</summary>
    public int HiddenSize { get; }

    /// <summary>Stacked layers; layer k + 1 reads layer k's output sequence.</summary>
    public int NumLayers { get; }

    /// <summary>Whether the layer has the biases b_ih and b_hh.</summary>
    public bool Bias { get; }

    /// <summary>Whether the input and output are [N, L, ·] instead of [L, N, ·] (states stay [layers·dirs, N, H]).</summary>
    public bool BatchFirst { get; }

    /// <summary>Dropout probability on the output of every layer but the last, in training mode only.</summary>
    public double Dropout { get; }

    /// <summary>Whether each layer also runs over the sequence backwards (its output is then [·, 2·H]).</summary>
    public bool Bidirectional { get; }

    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>The parameters of (layer, direction) in PyTorch's order: w_ih, w_hh, then b_ih, b_hh when there are biases.</summary>
    private protected ReadOnlySpan<Variable> LayerParameters(int layer, int dir)
    {
        int per = Bias ? 4 : 2;
        return System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_parameters).Slice((layer * Directions + dir) * per, per);
    }

    /// <summary>
    /// One step of this kind of layer: <paramref name="gi"/> is the step's input projection (with b_ih, and b_hh too when
    /// <see cref="FoldsHiddenBias"/>), <paramref name="state"/> the previous state tensors [N, H]. With
    /// <paramref name="wHhT"/> null (layers that fold b_hh), gi already holds x·W_ihᵀ + h·W_hhᵀ + biases.
    /// </summary>
    private protected abstract Tensor[] Step(Tensor gi, Tensor[] state, Tensor? wHhT, Tensor? bHh);

    /// <summary>Whether b_hh may be added to the input projection once (true unless it sits inside a gate, as GRU's).</summary>
    private protected virtual bool FoldsHiddenBias => true;

    /// <summary>
    /// Runs the layers. <paramref name="initial"/> holds one optional tensor per state kind (h0, and c0 for LSTM), each
    /// [layers·dirs, N, H] ([layers·dirs, H] unbatched). Returns the output and the final states in the same layout.
    /// </summary>
    private protected (Tensor Output, Tensor[] Final) Run(Tensor input, Tensor?[] initial, Tensor? lengths)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank is not (2 or 3) || input.Shape[-1] != InputSize)
            throw Errors.Arg(_op, $"input must be [L, N, {InputSize}]{(BatchFirst ? $" ([N, L, {InputSize}] with batchFirst)" : "")} or " +
                $"[L, {InputSize}] unbatched, got {Errors.Describe(input)}.");
        var dtype = _parameters[0].DType;
        if (input.DType != dtype)
            throw Errors.Arg(_op, $"the input is {input.DType.TorchName()} but the parameters are {dtype.TorchName()}; convert the input " +
                $"(x.To(DType.{dtype})) or make the layer in the input's dtype.");
        bool batched = input.Rank == 3;
        var x = !batched ? input.Unsqueeze(1) : BatchFirst ? input.Transpose(0, 1) : input;   // [L, N, in]
        int steps = x.Shape[0], n = x.Shape[1], dirs = Directions;
        if (steps == 0) throw Errors.Arg(_op, $"the input has no time steps: {Errors.Describe(input)}.");

        var states = new Tensor[initial.Length];
        for (int k = 0; k < initial.Length; k++)
            states[k] = CheckState(initial[k], k, batched, n, dtype, input.Device);
        var keep = lengths is null ? null : StepMasks(lengths, batched, steps, n, input.Device);

        var finals = new Tensor[initial.Length][];
        for (int k = 0; k < finals.Length; k++) finals[k] = new Tensor[NumLayers * dirs];
        // Per-step tensors all the way: each layer reads the previous layer's step outputs directly (no slicing of a
        // stacked sequence, whose gradient would be padded to the whole sequence at every step).
        var layerInput = x.Unbind(0);
        for (int layer = 0; layer < NumLayers; layer++)
        {
            var dirOutputs = new Tensor[dirs][];
            for (int dir = 0; dir < dirs; dir++)
            {
                int index = layer * dirs + dir;
                var state = new Tensor[states.Length];
                for (int k = 0; k < state.Length; k++) state[k] = states[k][index];
                dirOutputs[dir] = RunDirection(layerInput, LayerParameters(layer, dir), state, keep, reverse: dir == 1);
                for (int k = 0; k < state.Length; k++) finals[k][index] = state[k];
            }
            layerInput = dirs == 1 ? dirOutputs[0] : [.. Enumerable.Range(0, steps).Select(t => Tensor.Concat([dirOutputs[0][t], dirOutputs[1][t]], -1))];
            if (Dropout > 0 && IsTraining && layer < NumLayers - 1)
                for (int t = 0; t < steps; t++) layerInput[t] = Functional.Dropout(layerInput[t], Dropout, training: true, _dropoutGenerator);
        }
        var sequence = Tensor.Stack(layerInput, 0);

        var output = !batched ? sequence.Squeeze(1) : BatchFirst ? sequence.Transpose(0, 1) : sequence;
        var final = new Tensor[finals.Length];
        for (int k = 0; k < final.Length; k++)
        {
            var s = Tensor.Stack(finals[k], 0);
            final[k] = batched ? s : s.Squeeze(1);
        }
        return (output, final);
    }

    /// <summary>One direction of one layer over the steps <paramref name="x"/> (each [N, in]); <paramref name="state"/> ends as the final state.</summary>
    /// <remarks>
    /// NB: the input projection is one MatMul per step, not one MatMul over the stacked sequence sliced per step: the
    /// gradient of each slice would be padded to the whole [L, N, gates·H] sequence, L times (quadratic in L).
    /// </remarks>
    Tensor[] RunDirection(Tensor[] x, ReadOnlySpan<Variable> p, Tensor[] state, Tensor[]? keep, bool reverse)
    {
        int steps = x.Length;
        Tensor wIh = p[0], wHh = p[1];
        Tensor? bIh = Bias ? p[2] : null, bHh = Bias ? p[3] : null;
        var bias = bIh is null || bHh is null ? null : FoldsHiddenBias ? bIh + bHh : bIh;
        // Transposed once per call into contiguous copies: the per-step MatMuls read them row by row, and their gradients
        // add up over the steps in that layout, then go back through one transpose. Layers whose gates are one sum
        // (RNN, LSTM) take [x_t, h]·[W_ih, W_hh]ᵀ as one MatMul per step.
        bool fused = FoldsHiddenBias;
        var wIhT = fused ? Tensor.Concat([wIh, wHh], 1).T.Contiguous() : wIh.T.Contiguous();
        var wHhT = fused ? null : wHh.T.Contiguous();
        var stepHidden = fused ? null : bHh;
        var outputs = new Tensor[steps];
        for (int s = 0; s < steps; s++)
        {
            int t = reverse ? steps - 1 - s : s;
            var gi = (fused ? Tensor.Concat([x[t], state[0]], -1) : x[t]).MatMul(wIhT);
            if (bias is not null) gi = gi + bias;
            var next = Step(gi, state, wHhT, stepHidden);
            if (keep is null)
            {
                outputs[t] = next[0];
                for (int k = 0; k < state.Length; k++) state[k] = next[k];
            }
            else
            {
                // Past a sequence's end: output 0 and the state held, so the final state is the one at its last valid
                // step and the reverse direction starts from the initial state at that step.
                outputs[t] = next[0].MaskedFill(!keep[t], 0);
                for (int k = 0; k < state.Length; k++) state[k] = Tensor.Where(keep[t], next[k], state[k]);
            }
        }
        return outputs;
    }

    Tensor CheckState(Tensor? given, int kind, bool batched, int n, DType dtype, Device device)
    {
        int count = NumLayers * Directions;
        string name = kind == 0 ? "h0" : "c0";
        if (given is null) return Tensor.Zeros([count, n, HiddenSize], dtype, device: device);
        int[] expected = batched ? [count, n, HiddenSize] : [count, HiddenSize];
        if (!given.Shape.ToArray().SequenceEqual(expected))
            throw Errors.Arg(_op, $"{name} must be {Shape.Format(expected)} (numLayers·directions, {(batched ? "N, " : "")}hiddenSize) " +
                $"for this input, got {Errors.Describe(given)}.");
        if (given.DType != dtype)
            throw Errors.Arg(_op, $"{name} is {given.DType.TorchName()} but the parameters are {dtype.TorchName()}.");
        return batched ? given : given.Unsqueeze(1);
    }

    /// <summary>Per time step a bool [N, 1] mask (true where t &lt; lengths[n]); null when every sequence is full.</summary>
    Tensor[]? StepMasks(Tensor lengths, bool batched, int steps, int n, Device device)
    {
        if (!batched) throw Errors.Arg(_op, "lengths needs a batched input ([L, N, in] or [N, L, in] with batchFirst).");
        if (lengths.Rank != 1 || lengths.Shape[0] != n || lengths.DType is not (DType.Int64 or DType.Int32))
            throw Errors.Arg(_op, $"lengths must be int64 [{n}] (one length per sequence), got {Errors.Describe(lengths)}.");
        var values = lengths.To(DType.Int64).ToArray<long>();
        bool full = true;
        for (int i = 0; i < n; i++)
        {
            if (values[i] < 1 || values[i] > steps)
                throw Errors.Arg(_op, $"lengths[{i}] = {values[i]} is out of range: each length must be in 1..{steps} (the input's L).");
            full &= values[i] == steps;
        }
        if (full) return null;
        var masks = new Tensor[steps];
        for (int t = 0; t < steps; t++)
        {
            var m = new bool[n];
            for (int i = 0; i < n; i++) m[i] = t < values[i];
            masks[t] = Tensor.FromArray(m, [n, 1]).To(device);
        }
        return masks;
    }

    /// <inheritdoc/>
    protected override string ExtraRepr
    {
        get
        {
            var s = $"{InputSize}, {HiddenSize}";
            if (NumLayers != 1) s += $", num_layers={NumLayers}";
            if (!Bias) s += ", bias=False";
            if (BatchFirst) s += ", batch_first=True";
            if (Dropout != 0) s += $", dropout={Dropout}";
            if (Bidirectional) s += ", bidirectional=True";
            return s;
        }
    }
}
