using Nabla.Graphs;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>Constant folding: ops on data made inside the function are computed once; captures are read on every call.</summary>
public class ConstantFoldingTests
{
    static Tensor AddScaledTable(Tensor x) => x + PassText.V(1f, 2.5f, -3f) * 2.0;

    [Fact]
    public void OpsOnConstantsAndFillsBecomeOneConstant()
    {
        var cf = Graph.Compile(AddScaledTable);
        var x = PassText.V(0.1f, 0.2f, 0.3f);
        for (int call = 0; call < 3; call++) Assert.Equal(PassText.F(AddScaledTable(x)), PassText.F(cf.Call(x)));
        Assert.Equal("""
            graph AddScaledTable(%0 x: [3] float32)
              %1 = constant : [3] float32
              %2 = full() : [] float32
              %3 = reshape(%2) : [1] float32
              %4 = expand(%3) : [3] float32
              %5 = mul(%1, %4) : [3] float32
              %6 = add(%0, %5) : [3] float32
              return %6

            """.Replace("\r", ""), PassText.Ops(cf.TracedGraphFor(x)));
        Assert.Equal("""
            graph AddScaledTable(%0 x: [3] float32)
              %5 = constant : [3] float32
              %6 = add(%0, %5) : [3] float32
              return %6

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
        Assert.Contains("fold: folded 1 op(s)", cf.Explain());
    }

    [Fact]
    public void SwitchedOffTheMulStays()
    {
        var cf = Graph.Compile(AddScaledTable, PassText.Without(GraphPasses.ConstantFolding));
        var x = PassText.V(0.1f, 0.2f, 0.3f);
        Assert.Equal(PassText.F(AddScaledTable(x)), PassText.F(cf.Call(x)));
        Assert.Contains("= mul(", cf.GraphFor(x));
        Assert.DoesNotContain("fold:", cf.Explain());
    }

    [Fact]
    public void ACapturedVariableIsNeverFoldedSoAnAssignBetweenCallsIsSeen()
    {
        var v = new Variable(PassText.V(1f, 2f, 3f), trainable: false, name: "v");
        var cf = Graph.Compile((Tensor x) => x + v * 2.0, PassText.Unfused);
        var x = PassText.V(0f, 0f, 0f);
        Assert.Equal(new float[] { 2, 4, 6 }, PassText.F(cf.Call(x)));
        v.Assign(PassText.V(10f, 20f, 30f));
        Assert.Equal(new float[] { 20, 40, 60 }, PassText.F(cf.Call(x)));
        Assert.Contains("= mul(", cf.GraphFor(x));
        Assert.Equal(1, cf.TraceCount);
    }

    [Fact]
    public void AFoldedResultIsAFreshTensorOnEveryCall()
    {
        // The function returns folded data: each call must give the caller a tensor of its own, as eager code does.
        var cf = Graph.Compile((Tensor x) => PassText.V(1f, 2f) * 3.0);
        var x = PassText.V(0f);
        var a = cf.Call(x);
        var b = cf.Call(x);
        a.AddInPlace(1.0);
        Assert.Equal(new float[] { 3, 6 }, PassText.F(b));
        Assert.Equal(new float[] { 3, 6 }, PassText.F(cf.Call(x)));
    }
}
