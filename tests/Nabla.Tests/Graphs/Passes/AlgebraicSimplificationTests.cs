using Nabla.Graphs;

namespace Nabla.Tests.Graphs.Passes;

/// <summary>Algebraic simplification: identities that are exact go, x + 0.0 (which turns -0.0 into +0.0) stays.</summary>
public class AlgebraicSimplificationTests
{
    static Tensor Identities(Tensor x) => (x * 1.0).Exp() + (x - 0.0).Cos() + (x / 1.0) + (x + (-0.0)).Sin();

    [Fact]
    public void ExactIdentitiesAreRemoved()
    {
        var cf = Graph.Compile(Identities, PassText.Unfused);
        var x = PassText.V(0.5f, -0f, 2f);
        for (int call = 0; call < 2; call++) Assert.Equal(PassText.F(Identities(x)), PassText.F(cf.Call(x)));
        Assert.Equal("""
            graph Identities(%0 x: [3] float32)
              %5 = exp(%0) : [3] float32
              %10 = cos(%0) : [3] float32
              %11 = add(%5, %10) : [3] float32
              %16 = add(%11, %0) : [3] float32
              %21 = sin(%0) : [3] float32
              %22 = add(%16, %21) : [3] float32
              return %22

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
    }

    [Fact]
    public void AddingPlusZeroStaysBecauseItTurnsMinusZeroIntoPlusZero()
    {
        static Tensor F(Tensor x) => (x + 0.0) * 1.0 + 0.0 * 0.0;
        var cf = Graph.Compile(F, PassText.Unfused);
        var x = PassText.V(-0f, 1f);
        var c = PassText.F(cf.Call(x));
        Assert.Equal(PassText.F(F(x)), PassText.F(cf.Call(x)));
        Assert.False(float.IsNegative(c[0]));
        Assert.Contains("= add(%0, ", cf.GraphFor(x));
    }

    static Tensor Movements(Tensor x) => x.T.T.Exp() + x.Reshape(6).Reshape(3, 2).Reshape(2, 3) + x.Reshape(6).Reshape(3, 2).T;

    [Fact]
    public void PermutesThatCancelAndReshapeChainsGo()
    {
        var cf = Graph.Compile(Movements, PassText.Unfused);
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], [2, 3]);
        for (int call = 0; call < 2; call++) Assert.Equal(PassText.F(Movements(x)), PassText.F(cf.Call(x)));
        Assert.Equal("""
            graph Movements(%0 x: [2, 3] float32)
              %3 = exp(%0) : [2, 3] float32
              %5 = reshape(%0) : [3, 2] float32
              %7 = add(%3, %0) : [2, 3] float32
              %10 = permute(%5) : [2, 3] float32
              %11 = add(%7, %10) : [2, 3] float32
              return %11

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
    }

    // x * 1 goes first (its readers then read x); the reshape chain after it must take x as its source too.
    static Tensor IdentityThenChain(Tensor x) => (x * 1.0).Reshape(6).Reshape(6, 1).Reshape(3, 2).Exp();

    [Fact]
    public void AReshapeChainAfterARemovedIdentityReadsTheIdentitysInput()
    {
        var cf = Graph.Compile(IdentityThenChain, PassText.Unfused);
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], [2, 3]);
        for (int call = 0; call < 2; call++) Assert.Equal(PassText.F(IdentityThenChain(x)), PassText.F(cf.Call(x)));
        Assert.Equal("""
            graph IdentityThenChain(%0 x: [2, 3] float32)
              %7 = reshape(%0) : [3, 2] float32
              %8 = exp(%7) : [3, 2] float32
              return %8

            """.Replace("\r", ""), PassText.Ops(cf.GraphFor(x)));
    }

    [Fact]
    public void SwitchedOffTheMulStays()
    {
        var cf = Graph.Compile(Identities, PassText.Without(GraphPasses.AlgebraicSimplification));
        var x = PassText.V(0.5f, -0f, 2f);
        Assert.Equal(PassText.F(Identities(x)), PassText.F(cf.Call(x)));
        Assert.Contains("= mul(%0, ", cf.GraphFor(x));
        Assert.DoesNotContain("simplify:", cf.Explain());
    }

    [Fact]
    public void AResultThatRequiresGradIsLeftAsTraced()
    {
        // x * 1 on a tensor that requires grad: removing the node would change how the caller's backward sums.
        static Tensor F(Tensor x) => ((x * 1.0).Exp() + x).Sum();
        var cf = Graph.Compile(F);
        var xe = Tensor.FromArray([0.3f, -1.1f], [2], requiresGrad: true);
        var xc = Tensor.FromArray([0.3f, -1.1f], [2], requiresGrad: true);
        for (int call = 0; call < 3; call++)
            Assert.Equal(PassText.F(Autograd.Grad(F(xe), xe)!), PassText.F(Autograd.Grad(cf.Call(xc), xc)!));
        Assert.Contains("= mul(%0, ", cf.GraphFor(xc));
    }

    [Fact]
    public void AReturnedResultIsNotReplacedByTheArgument()
    {
        var cf = Graph.Compile((Tensor x) => x * 1.0);
        var x = PassText.V(1f, 2f);
        var y = cf.Call(x);
        y = cf.Call(x);
        Assert.False(ReferenceEquals(x, y));
        y.AddInPlace(1.0);
        Assert.Equal(new float[] { 1, 2 }, PassText.F(x));
    }
}
