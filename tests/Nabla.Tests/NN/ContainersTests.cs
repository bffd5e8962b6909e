using Nabla.NN;

namespace Nabla.Tests.NN;

/// <summary>ModuleList and ModuleDict: child names, parameters, state dict, modes, editing, and errors.</summary>
public class ContainersTests
{
    /// <summary>A model keeping its layers in a ModuleList and its heads in a ModuleDict, as a PyTorch model would.</summary>
    sealed class Net : Module
    {
        public readonly ModuleList Blocks;
        public readonly ModuleDict Heads;

        public Net(int seed)
        {
            Blocks = RegisterModule("blocks", new ModuleList(new Linear(3, 3, seed: seed), new Dropout(0.5), new Linear(3, 3, seed: seed + 1)));
            Heads = RegisterModule("heads", new ModuleDict { ["cls"] = new Linear(3, 2, seed: seed + 2), ["box"] = new Linear(3, 4, bias: false, seed: seed + 3) });
        }

        public override Tensor Forward(Tensor x)
        {
            foreach (var block in Blocks) x = block.Call(x);
            return Heads["cls"].Call(x);
        }
    }

    [Fact]
    public void ChildrenAreNamedByPositionAndKeyInInsertionOrder()
    {
        var net = new Net(1);
        Assert.Equal(["blocks.0.weight", "blocks.0.bias", "blocks.2.weight", "blocks.2.bias", "heads.cls.weight", "heads.cls.bias", "heads.box.weight"],
            net.NamedParameters().Select(p => p.Name));
        Assert.Equal(7, net.Parameters().Count());
        Assert.Equal(["blocks.0.weight", "blocks.0.bias", "blocks.2.weight", "blocks.2.bias", "heads.cls.weight", "heads.cls.bias", "heads.box.weight"],
            net.StateDict().Keys);
        Assert.Equal(["", "blocks", "blocks.0", "blocks.1", "blocks.2", "heads", "heads.cls", "heads.box"], net.NamedModules().Select(m => m.Name));
        Assert.Equal(3, net.Blocks.Count);
        Assert.Equal(["cls", "box"], net.Heads.Keys);
        Assert.IsType<Dropout>(net.Blocks[1]);
        Assert.Same(net.Blocks[2], net.Blocks[^1]);
    }

    [Fact]
    public void StateDictRoundTripsAndGradientsReachEveryUsedChild()
    {
        var a = new Net(1);
        var b = new Net(20);
        var result = b.LoadStateDict(a.StateDict());
        Assert.Empty(result.MissingKeys);
        Assert.Empty(result.UnexpectedKeys);
        a.Eval(); b.Eval();
        var x = Tensor.Randn([4, 3], seed: 5);
        Assert.Equal(a.Call(x).ToDoubleArray(), b.Call(x).ToDoubleArray());

        b.Call(x).Sum().Backward();
        var used = b.NamedParameters().Where(p => !p.Name.StartsWith("heads.box", StringComparison.Ordinal)).ToList();
        Assert.Equal(6, used.Count);
        Assert.All(used, p => Assert.NotNull(p.Parameter.Grad));
        Assert.Null(b.Heads["box"].Parameters().Single().Grad);   // an unused head gets no gradient
    }

    [Fact]
    public void TrainAndEvalReachChildrenInsideContainers()
    {
        var net = new Net(1);
        net.Eval();
        Assert.All(net.NamedModules(), m => Assert.False(m.Module.IsTraining));
        Assert.False(net.Blocks[1].IsTraining);
        Assert.False(net.Heads["box"].IsTraining);
        net.Train();
        Assert.True(net.Blocks[1].IsTraining);
        Assert.True(net.Heads["cls"].IsTraining);
    }

    [Fact]
    public void ModuleListAppendExtendInsertAndSetRenumberTheChildren()
    {
        Linear l0 = new(1, 1, seed: 0), l1 = new(1, 1, seed: 1), l2 = new(1, 1, seed: 2), l3 = new(1, 1, seed: 3), l4 = new(1, 1, seed: 4);
        var list = new ModuleList().Append(l0).Extend([l1, l2]);
        Assert.Equal(["0", "1", "2"], list.NamedChildren().Select(c => c.Name));
        list.Insert(1, l3);                                   // [l0, l3, l1, l2]: later children move to the next name
        Assert.Equal<Module>([l0, l3, l1, l2], list);
        Assert.Equal(["0", "1", "2", "3"], list.NamedChildren().Select(c => c.Name));
        Assert.Same(l1, list.NamedChildren().Single(c => c.Name == "2").Module);
        Assert.Equal(l1.Weight.ToDoubleArray(), list.StateDict()["2.weight"].ToDoubleArray());
        list.Insert(-1, l4);                                  // as Python: before the last one
        Assert.Equal<Module>([l0, l3, l1, l4, l2], list);
        list.Insert(99, l4);                                  // past the end appends, as Python
        Assert.Same(l4, list[^1]);
        list[0] = l2;                                         // replacing keeps the name
        Assert.Same(l2, list.NamedChildren().First().Module);
        Assert.Equal(6, list.Count);
        Assert.Equal(8, list.Parameters().Count());          // shared modules' parameters are listed once: l2, l3, l1, l4
        Assert.Equal<Module>([l1], new ModuleList(l1));
        list.Extend(list);                                    // extending with itself doubles it, as Python
        Assert.Equal(12, list.Count);
    }

    [Fact]
    public void ModuleDictKeepsInsertionOrderAndReplacesInPlace()
    {
        Linear a = new(1, 1, seed: 0), b = new(1, 1, seed: 1), c = new(1, 1, seed: 2);
        var dict = new ModuleDict([new("a", a), new("b", b)]);
        dict["a"] = c;                                        // replacing keeps the position, as a Python dict
        Assert.Equal(["a", "b"], dict.Keys);
        Assert.Equal<Module>([c, b], dict.Values);
        Assert.Equal(["a.weight", "a.bias", "b.weight", "b.bias"], dict.StateDict().Keys);
        dict.Update([new("z", a), new("b", a)]);
        Assert.Equal(["a", "b", "z"], dict.Keys);
        Assert.Same(a, dict["b"]);
        Assert.True(dict.ContainsKey("z"));
        Assert.Same(a, dict.Pop("z"));
        Assert.False(dict.ContainsKey("z"));
        Assert.Equal(["a", "b"], dict.NamedChildren().Select(ch => ch.Name));
        Assert.Equal(["a", "b"], dict.Select(kv => kv.Key));
        dict.Add("d", b);
        Assert.Equal(3, dict.Count);
        dict.Clear();
        Assert.Equal(0, dict.Count);
        Assert.Empty(dict.Parameters());
        Assert.Empty(dict.NamedChildren());
    }

    [Fact]
    public void ContainersAreNotCallable()
    {
        var x = Tensor.Ones([1, 1]);
        var e1 = Assert.Throws<InvalidOperationException>(() => new ModuleList(new Linear(1, 1)).Call(x));
        Assert.Contains("ModuleList.Forward", e1.Message);
        Assert.Contains("Sequential", e1.Message);
        var e2 = Assert.Throws<InvalidOperationException>(() => new ModuleDict().Forward(x));
        Assert.Contains("ModuleDict.Forward", e2.Message);
        Assert.Contains("ContainersTests.cs:", e2.Message);
    }

    [Fact]
    public void BadKeysIndicesAndCyclesAreRejectedNamingTheCaller()
    {
        var dict = new ModuleDict();
        var dot = Assert.Throws<ArgumentException>(() => dict["a.b"] = new Linear(1, 1));
        Assert.Contains("ModuleDict[]", dot.Message);
        Assert.Contains("'a.b'", dot.Message);
        Assert.Contains("ContainersTests.cs:", dot.Message);
        var empty = Assert.Throws<ArgumentException>(() => dict.Add("", new Linear(1, 1)));
        Assert.Contains("ModuleDict.Add", empty.Message);
        Assert.Contains("ContainersTests.cs:", empty.Message);
        Assert.Equal(0, dict.Count);
        var missing = Assert.Throws<KeyNotFoundException>(() => dict["nope"]);
        Assert.Contains("ContainersTests.cs:", missing.Message);

        var list = new ModuleList(new Linear(1, 1));
        var range = Assert.Throws<ArgumentException>(() => list[3]);
        Assert.Contains("out of range", range.Message);
        Assert.Contains("ContainersTests.cs:", range.Message);
        var self = Assert.Throws<ArgumentException>(() => list.Append(list));
        Assert.Contains("cycle", self.Message);
        Assert.Contains("ContainersTests.cs:", self.Message);
        var outer = new ModuleList([list]);                   // a collection holding the list (new ModuleList(list) copies its items, as PyTorch)
        Assert.Same(list, outer[0]);
        var cycle = Assert.Throws<ArgumentException>(() => list.Insert(0, outer));
        Assert.Contains("ModuleList.Insert", cycle.Message);
        Assert.Single(list);                                 // a refused insert leaves the list as it was
        Assert.Equal(["0"], list.NamedChildren().Select(c => c.Name));
        Assert.Throws<ArgumentNullException>(() => list.Append(null!));
    }
}
