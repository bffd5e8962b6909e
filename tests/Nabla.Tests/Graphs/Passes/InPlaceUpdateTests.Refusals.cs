using Nabla.Graphs;

namespace Nabla.Tests.Graphs.Passes;

public partial class InPlaceUpdateTests
{
    [Fact]
    public void OverlappingViewsKeepTheirWritesInOrder()
    {
        // p and buf are windows of one storage, buf one element further: p's update reads what buf's last write put
        // there, so that write may not move past it (the first one still goes: nothing reads the memory before buf's
        // second write).
        const int n = 300;
        Tensor Storage() => Data(n + 1, 3);
        var (eagerStorage, compiledStorage) = (Storage(), Storage());
        var eager = new Momentum(eagerStorage.Narrow(0, 0, n), eagerStorage.Narrow(0, 1, n));
        var compiled = new Momentum(compiledStorage.Narrow(0, 0, n), compiledStorage.Narrow(0, 1, n));
        var cf = Graph.Compile(compiled.Step);
        AssertSameSteps(eager, compiled, g => cf.Call(g), n, 4);
        Assert.Equal(Bits(eagerStorage), Bits(compiledStorage));
        // The trace reads p as an alias of buf's capture; buf's second write stays before p's update reads that memory.
        Assert.Contains("inplace: 1 read(s) of assigned tensors read the assigned values, dropped 1 overwritten assignment(s), fuse:", cf.Explain());
        Assert.DoesNotContain("outputs)", cf.Explain());
        Assert.Contains("""
              assign(%5, %11)  writes %5 [no_grad]
              %12 = full() : [] float32 [no_grad]
              %13 = reshape(%12) : [1] float32 [no_grad]
              %14 = expand(%13) : [300] float32 [no_grad]
              %16 = alias(%5, strides [1], offset -1) : [300] float32
              %17 = fused_elementwise(%5, %14, %16) : [300] float32 [no_grad]
              assign(%16, %17)  writes %16 [no_grad]
            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(Data(n, 0))));
    }

    /// <summary>SGD momentum with the buffer's sum read between its two writes.</summary>
    sealed class ReadBetween(Tensor p, Tensor buf)
    {
        public Momentum State { get; } = new(p, buf);

        public Tensor Step(Tensor x)
        {
            using var noGrad = Autograd.NoGrad();
            var g = x.Clone();
            buf.MulInPlace(0.9);
            var total = buf.Sum();
            buf.AddInPlace(g * 0.5);
            p.AddInPlace(buf * -0.1);
            return total;
        }
    }

    [Fact]
    public void AReadOfTheWrittenTensorBetweenItsWritesKeepsThem()
    {
        const int n = 77;
        var eager = new ReadBetween(Data(n, 1), Data(n, 2));
        var compiled = new ReadBetween(Data(n, 1), Data(n, 2));
        var cf = Graph.Compile(compiled.Step);
        for (int i = 0; i < 4; i++)
        {
            var g = Data(n, 20 + i);
            Assert.Equal(Bits(eager.Step(g)), Bits(cf.Call(g)));
            Assert.Equal(Bits(eager.State.P), Bits(compiled.State.P));
            Assert.Equal(Bits(eager.State.Buf), Bits(compiled.State.Buf));
        }
        var text = PassText.Ops(cf.GraphFor(Data(n, 0)));
        // The sum reads buf's memory after its first write, which stays; the add reads buf again (not the first value).
        Assert.Contains("""
              %6 = mul(%5, %4) : [77] float32 [no_grad]
              assign(%5, %6)  writes %5 [no_grad]
              %7 = sum(%5) : [] float32 [no_grad]
            """.Replace("\r", ""), text);
        Assert.Equal(3, text.Split('\n').Count(l => l.Contains("assign(")));
        Assert.DoesNotContain("dropped", cf.Explain());
        Assert.Contains("(2 outputs)", cf.Explain());   // buf's second write and p's still become one op
    }

    /// <summary>SGD momentum reading the gradient argument itself, which a caller may hand in as buf.</summary>
    sealed class ArgumentGradient(Tensor p, Tensor buf)
    {
        public Tensor Buf => buf;
        public Tensor P => p;

        public Tensor Step(Tensor g)
        {
            using var noGrad = Autograd.NoGrad();
            buf.MulInPlace(0.9).AddInPlace(g * 0.5);
            p.AddInPlace(buf * -0.1);
            return p.Sum();
        }
    }

    [Fact]
    public void AnArgumentMayBeTheWrittenTensor()
    {
        // g * 0.5 reads the argument after buf's first write: when g is buf, it reads buf * 0.9, so that write stays.
        const int n = 65;
        var eager = new ArgumentGradient(Data(n, 1), Data(n, 2));
        var compiled = new ArgumentGradient(Data(n, 1), Data(n, 2));
        var cf = Graph.Compile(compiled.Step);
        Assert.Equal(Bits(eager.Step(Data(n, 5))), Bits(cf.Call(Data(n, 5))));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(Bits(eager.Step(eager.Buf)), Bits(cf.Call(compiled.Buf)));
            Assert.Equal(Bits(eager.P), Bits(compiled.P));
            Assert.Equal(Bits(eager.Buf), Bits(compiled.Buf));
        }
        Assert.Equal(1, cf.TraceCount);
        Assert.DoesNotContain("dropped", cf.Explain());
    }
}
