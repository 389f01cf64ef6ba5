// Command asmgen writes the amd64 kernels of package simd
// (kernels_amd64.s and their Go declarations in kernels_amd64.go) with avo.
//
// It is a module of its own so that avo stays out of the dependencies of
// the main module. Run it through `go generate` in the simd directory:
//
//	go run -C _asmgen . -out ../kernels_amd64.s -stubs ../kernels_amd64.go -pkg simd
//
// Every routine exists for AVX2+FMA (ymm, 8 lanes) and AVX-512F (zmm, 16
// lanes). The AVX-512 routines handle any length with opmasks; the AVX2
// ones process whole vectors only and leave the last n%8 elements (of a
// row, for row-wise routines) to the Go caller.
package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// isa is one instruction set.
type isa struct {
	suffix string
	lanes  int
	regs   []VecPhysical
	masked bool
}

var (
	avx2   = isa{"AVX2", 8, []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}, false}
	avx512 = isa{"AVX512", 16, []VecPhysical{
		Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31,
	}, true}
)

func (s isa) width() int { return 4 * s.lanes }

// Bitwise operations: the float forms need AVX512DQ on zmm, the integer
// forms only AVX512F.
func (s isa) xor(a, b, d VecPhysical) {
	if s.masked {
		VPXORD(a, b, d)
	} else {
		VXORPS(a, b, d)
	}
}

func (s isa) and(a, b, d VecPhysical) {
	if s.masked {
		VPANDD(a, b, d)
	} else {
		VANDPS(a, b, d)
	}
}

func (s isa) or(a, b, d VecPhysical) {
	if s.masked {
		VPORD(a, b, d)
	} else {
		VORPS(a, b, d)
	}
}

func (s isa) zero(r VecPhysical) {
	if s.masked {
		VPXORD(r, r, r)
	} else {
		VXORPS(r, r, r)
	}
}

// load reads a vector at m into r, under opmask k when k is not nil
// (zeroing the other lanes).
func load(m Mem, r VecPhysical, k Op) {
	if k != nil {
		VMOVUPS_Z(m, k, r)
		return
	}
	VMOVUPS(m, r)
}

func store(r VecPhysical, m Mem, k Op) {
	if k != nil {
		VMOVUPS(r, k, m)
		return
	}
	VMOVUPS(r, m)
}

func broadcast(param string, r VecPhysical) {
	a, err := Param(param).Resolve()
	if err != nil {
		panic(err)
	}
	VBROADCASTSS(a.Addr, r)
}

// clamp sets r = min(max(r, lo), hi), keeping NaN: the value under test
// is the second source of each instruction, which the instruction
// returns when a comparison involves NaN.
func clamp(r, lo, hi VecPhysical) {
	VMAXPS(r, lo, r)
	VMINPS(r, hi, r)
}

// maskFromCount sets opmask k to the low n bits (0 < n < 16); it
// clobbers n.
func maskFromCount(n Register, k Op) {
	m := GP32()
	MOVL(U32(1), m)
	SHLXL(n.(GPVirtual).As32(), m, m) // BMI2, present on every AVX-512 CPU
	DECL(m)
	KMOVW(m, k)
}

func main() {
	ConstraintExpr("amd64,!noasm,!purego")
	for _, s := range []isa{avx2, avx512} {
		genMap(s, "add", 2, nil, func(in []VecPhysical, _ []VecPhysical) { VADDPS(in[1], in[0], in[0]) })
		genMap(s, "sub", 2, nil, func(in []VecPhysical, _ []VecPhysical) { VSUBPS(in[1], in[0], in[0]) })
		genMap(s, "mul", 2, nil, func(in []VecPhysical, _ []VecPhysical) { VMULPS(in[1], in[0], in[0]) })
		genMap(s, "div", 2, nil, func(in []VecPhysical, _ []VecPhysical) { VDIVPS(in[1], in[0], in[0]) })
		// max: b if a < b, else a (NaN in either keeps a).
		genMap(s, "max", 2, nil, func(in []VecPhysical, _ []VecPhysical) { VMAXPS(in[0], in[1], in[0]) })
		genMap(s, "addScalar", 1, []string{"s"}, func(in, sc []VecPhysical) { VADDPS(sc[0], in[0], in[0]) })
		genMap(s, "subScalar", 1, []string{"s"}, func(in, sc []VecPhysical) { VSUBPS(sc[0], in[0], in[0]) })
		genMap(s, "mulScalar", 1, []string{"s"}, func(in, sc []VecPhysical) { VMULPS(sc[0], in[0], in[0]) })
		genMap(s, "divScalar", 1, []string{"s"}, func(in, sc []VecPhysical) { VDIVPS(sc[0], in[0], in[0]) })
		genMap(s, "scalarSub", 1, []string{"s"}, func(in, sc []VecPhysical) { VSUBPS(in[0], sc[0], in[0]) })
		genMap(s, "scalarDiv", 1, []string{"s"}, func(in, sc []VecPhysical) { VDIVPS(in[0], sc[0], in[0]) })
		genMap(s, "clamp", 1, []string{"lo", "hi"}, func(in, sc []VecPhysical) { clamp(in[0], sc[0], sc[1]) })
		genMap(s, "cvtInt32", 1, nil, func(in, _ []VecPhysical) { VCVTDQ2PS(in[0], in[0]) })
		genBiasClamp(s, false)
		genBiasClamp(s, true)
		genDepthwise(s, false)
		genDepthwise(s, true)
		genAdam(s)
		genTranscendental(s, "exp")
		genTranscendental(s, "sigmoid")
		genTranscendental(s, "tanh")
	}
	Generate()
}

var docs = map[string]string{
	"add":       "dst[i] = a[i] + b[i]",
	"sub":       "dst[i] = a[i] - b[i]",
	"mul":       "dst[i] = a[i] * b[i]",
	"div":       "dst[i] = a[i] / b[i]",
	"max":       "dst[i] = b[i] if a[i] < b[i], else a[i]",
	"addScalar": "dst[i] = a[i] + s",
	"subScalar": "dst[i] = a[i] - s",
	"mulScalar": "dst[i] = a[i] * s",
	"divScalar": "dst[i] = a[i] / s",
	"scalarSub": "dst[i] = s - a[i]",
	"scalarDiv": "dst[i] = s / a[i]",
	"clamp":     "dst[i] = min(max(a[i], lo), hi), NaN kept",
	"cvtInt32":  "dst[i] = float32(a[i]) for the int32 values at a",
}

// genMap writes an elementwise routine over n elements with nin vector
// inputs (a, b) and broadcast float32 scalars; body computes the result
// into in[0].
func genMap(s isa, base string, nin int, scalars []string, body func(in, sc []VecPhysical)) {
	name := base + s.suffix
	sig := "func(dst, a"
	if nin == 2 {
		sig += ", b"
	}
	sig += " *float32, n int"
	for _, p := range scalars {
		sig += ", " + p + " float32"
	}
	TEXT(name, NOSPLIT, sig+")")
	if s.masked {
		Doc(fmt.Sprintf("%s sets %s for i < n.", name, docs[base]))
	} else {
		Doc(fmt.Sprintf("%s sets %s for i < n&^7.", name, docs[base]))
	}
	dst := Load(Param("dst"), GP64())
	ptrs := []Register{Load(Param("a"), GP64())}
	if nin == 2 {
		ptrs = append(ptrs, Load(Param("b"), GP64()))
	}
	n := Load(Param("n"), GP64())
	sc := make([]VecPhysical, len(scalars))
	for i, p := range scalars {
		sc[i] = s.regs[len(s.regs)-1-i]
		broadcast(p, sc[i])
	}
	const unroll = 4
	w := s.width()
	in := func(u int) []VecPhysical {
		r := make([]VecPhysical, nin)
		for j := range r {
			r[j] = s.regs[u*nin+j]
		}
		return r
	}
	step := func(count int, k Op) {
		for u := 0; u < count; u++ {
			r := in(u)
			for j, p := range ptrs {
				load(Mem{Base: p, Disp: u * w}, r[j], k)
			}
		}
		for u := 0; u < count; u++ {
			body(in(u), sc)
		}
		for u := 0; u < count; u++ {
			store(in(u)[0], Mem{Base: dst, Disp: u * w}, k)
		}
	}
	advance := func(elems int) {
		for _, p := range append([]Register{dst}, ptrs...) {
			ADDQ(U32(elems*4), p)
		}
		SUBQ(U32(elems), n)
	}
	Label(base + "loop4")
	CMPQ(n, U32(unroll*s.lanes))
	JL(LabelRef(base + "loop1"))
	step(unroll, nil)
	advance(unroll * s.lanes)
	JMP(LabelRef(base + "loop4"))
	Label(base + "loop1")
	CMPQ(n, U32(s.lanes))
	JL(LabelRef(base + "tail"))
	step(1, nil)
	advance(s.lanes)
	JMP(LabelRef(base + "loop1"))
	Label(base + "tail")
	if s.masked {
		TESTQ(n, n)
		JE(LabelRef(base + "done"))
		maskFromCount(n, K1)
		step(1, K1)
	}
	Label(base + "done")
	VZEROUPPER()
	RET()
}

// genBiasClamp writes biasClamp (y = clamp(y + bias)) or scaleBiasClamp
// (y = clamp(y*scale + bias), one fused multiply-add) over rows of ch
// values, bias and scale being vectors of ch values.
func genBiasClamp(s isa, scaled bool) {
	base := "biasClamp"
	if scaled {
		base = "scaleBiasClamp"
	}
	name := base + s.suffix
	TEXT(name, NOSPLIT, "func(y *float32, rows, ch int, scale, bias *float32, lo, hi float32)")
	what := "y[r*ch+c] + bias[c]"
	if scaled {
		what = "y[r*ch+c]*scale[c] + bias[c] (fused multiply-add)"
	}
	span := "c < ch"
	if !s.masked {
		span = "c < ch&^7"
	}
	Doc(fmt.Sprintf("%s sets y[r*ch+c] = clamp(%s, lo, hi) for r < rows, %s,", name, what, span),
		"NaN kept. scale is only read by the scaled variant.")
	y := Load(Param("y"), GP64())
	rows := Load(Param("rows"), GP64())
	lo, hi := s.regs[14], s.regs[15]
	broadcast("lo", lo)
	broadcast("hi", hi)
	w := s.width()
	Label(base + "row")
	TESTQ(rows, rows)
	JE(LabelRef(base + "done"))
	n := Load(Param("ch"), GP64())
	p := GP64()
	MOVQ(y, p)
	b := Load(Param("bias"), GP64())
	var sc Register
	if scaled {
		sc = Load(Param("scale"), GP64())
	}
	one := func(k Op) {
		v := s.regs[0]
		load(Mem{Base: p}, v, k)
		if scaled {
			t := s.regs[1]
			load(Mem{Base: sc}, t, k)
			u := s.regs[2]
			load(Mem{Base: b}, u, k)
			VFMADD213PS(u, t, v) // v = v*t + u
		} else {
			t := s.regs[1]
			load(Mem{Base: b}, t, k)
			VADDPS(t, v, v)
		}
		clamp(v, lo, hi)
		store(v, Mem{Base: p}, k)
	}
	Label(base + "vec")
	CMPQ(n, U32(s.lanes))
	JL(LabelRef(base + "tail"))
	one(nil)
	ADDQ(U32(w), p)
	ADDQ(U32(w), b)
	if scaled {
		ADDQ(U32(w), sc)
	}
	SUBQ(U32(s.lanes), n)
	JMP(LabelRef(base + "vec"))
	Label(base + "tail")
	if s.masked {
		TESTQ(n, n)
		JE(LabelRef(base + "next"))
		maskFromCount(n, K1)
		one(K1)
	}
	Label(base + "next")
	chBytes := Load(Param("ch"), GP64())
	SHLQ(U8(2), chBytes)
	ADDQ(chBytes, y)
	DECQ(rows)
	JMP(LabelRef(base + "row"))
	Label(base + "done")
	VZEROUPPER()
	RET()
}

// genDepthwise writes dwRow (or dwRowScale): npix output pixels of a
// depthwise convolution with multiplier 1, channels last:
//
//	for p < npix: for c < ch:
//		acc = sum over taps t of x[p*xstep + offs[2t] + c] * w[offs[2t+1] + c]
//		out[p*ch + c] = clamp(acc*scale[c] + bias[c], lo, hi)
//
// offs holds element offsets (x offset, filter offset) per tap; xstep is
// in elements. Up to four channel blocks are accumulated at once, so that
// their fused multiply-adds overlap.
func genDepthwise(s isa, scaled bool) {
	base := "dwRow"
	if scaled {
		base = "dwRowScale"
	}
	name := base + s.suffix
	TEXT(name, NOSPLIT, "func(out, x, w *float32, ch int, offs *int, ntaps, npix, xstep int, scale, bias *float32, lo, hi float32)")
	span := "c < ch"
	if !s.masked {
		span = "c < ch&^7"
	}
	formula := "acc + bias[c]"
	if scaled {
		formula = "acc*scale[c] + bias[c]"
	}
	Doc(fmt.Sprintf("%s computes npix pixels of a depthwise convolution with multiplier 1 for %s:", name, span),
		"acc = sum over taps t of x[p*xstep+offs[2t]+c] * w[offs[2t+1]+c], and",
		fmt.Sprintf("out[p*ch+c] = clamp(%s, lo, hi), NaN kept.", formula))
	out := Load(Param("out"), GP64())
	x := Load(Param("x"), GP64())
	w := Load(Param("w"), GP64())
	npix := Load(Param("npix"), GP64())
	lo, hi := s.regs[14], s.regs[15]
	broadcast("lo", lo)
	broadcast("hi", hi)
	vw := s.width()
	Label(base + "pix")
	TESTQ(npix, npix)
	JE(LabelRef(base + "done"))
	rem := Load(Param("ch"), GP64())
	off := GP64() // byte offset of the current channel block
	XORQ(off, off)
	// blocks emits the code for nb channel blocks at off (masked when k
	// is not nil, then nb is 1).
	blocks := func(nb int, k Op, label string) {
		acc := s.regs[:nb]
		for _, a := range acc {
			s.zero(a)
		}
		tp := Load(Param("offs"), GP64())
		tn := Load(Param("ntaps"), GP64())
		xo, wo := GP64(), GP64()
		Label(label + "tap")
		MOVQ(Mem{Base: tp}, xo)
		MOVQ(Mem{Base: tp, Disp: 8}, wo)
		SHLQ(U8(2), xo)
		SHLQ(U8(2), wo)
		ADDQ(x, xo)
		ADDQ(w, wo)
		ADDQ(off, xo)
		ADDQ(off, wo)
		for j := 0; j < nb; j++ {
			xv, wv := s.regs[4+2*j], s.regs[5+2*j]
			load(Mem{Base: xo, Disp: j * vw}, xv, k)
			load(Mem{Base: wo, Disp: j * vw}, wv, k)
			VFMADD231PS(wv, xv, acc[j])
		}
		ADDQ(U32(16), tp)
		DECQ(tn)
		JNE(LabelRef(label + "tap"))
		b := Load(Param("bias"), GP64())
		ADDQ(off, b)
		var sc Register
		if scaled {
			sc = Load(Param("scale"), GP64())
			ADDQ(off, sc)
		}
		for j := 0; j < nb; j++ {
			t := s.regs[4+2*j]
			load(Mem{Base: b, Disp: j * vw}, t, k)
			if scaled {
				u := s.regs[5+2*j]
				load(Mem{Base: sc, Disp: j * vw}, u, k)
				VFMADD213PS(t, u, acc[j]) // acc = acc*u + t
			} else {
				VADDPS(t, acc[j], acc[j])
			}
			clamp(acc[j], lo, hi)
			o := GP64()
			MOVQ(out, o)
			ADDQ(off, o)
			store(acc[j], Mem{Base: o, Disp: j * vw}, k)
		}
	}
	for _, nb := range []int{4, 2, 1} {
		l := fmt.Sprintf("%sb%d", base, nb)
		Label(l)
		CMPQ(rem, U32(nb*s.lanes))
		JL(LabelRef(fmt.Sprintf("%sb%dend", base, nb)))
		blocks(nb, nil, l)
		ADDQ(U32(nb*vw), off)
		SUBQ(U32(nb*s.lanes), rem)
		JMP(LabelRef(l))
		Label(fmt.Sprintf("%sb%dend", base, nb))
	}
	if s.masked {
		TESTQ(rem, rem)
		JE(LabelRef(base + "next"))
		maskFromCount(rem, K1)
		blocks(1, K1, base+"m")
	}
	Label(base + "next")
	ch := Load(Param("ch"), GP64())
	SHLQ(U8(2), ch)
	ADDQ(ch, out)
	step := Load(Param("xstep"), GP64())
	SHLQ(U8(2), step)
	ADDQ(step, x)
	DECQ(npix)
	JMP(LabelRef(base + "pix"))
	Label(base + "done")
	VZEROUPPER()
	RET()
}

// genAdam writes adam: one Adam step out of place, with the operations
// and roundings of the scalar code (no fused multiply-adds):
//
//	m' = m + (g-m)*c1;  v' = v + (g*g-v)*c2;  w' = w - (m'*alpha)/(sqrt(v')+eps)
func genAdam(s isa) {
	name := "adam" + s.suffix
	TEXT(name, NOSPLIT, "func(wOut, mOut, vOut, w, m, v, grad *float32, n int, c1, c2, alpha, eps float32)")
	span := "i < n"
	if !s.masked {
		span = "i < n&^7"
	}
	Doc(fmt.Sprintf("%s computes one Adam step for %s: m' = m + (g-m)*c1,", name, span),
		"v' = v + (g*g-v)*c2, w' = w - (m'*alpha)/(sqrt(v')+eps), rounding each operation.")
	outs := []Register{Load(Param("wOut"), GP64()), Load(Param("mOut"), GP64()), Load(Param("vOut"), GP64())}
	ins := []Register{Load(Param("w"), GP64()), Load(Param("m"), GP64()), Load(Param("v"), GP64()), Load(Param("grad"), GP64())}
	n := Load(Param("n"), GP64())
	c1, c2, alpha, eps := s.regs[12], s.regs[13], s.regs[14], s.regs[15]
	broadcast("c1", c1)
	broadcast("c2", c2)
	broadcast("alpha", alpha)
	broadcast("eps", eps)
	step := func(k Op) {
		w, m, v, g := s.regs[0], s.regs[1], s.regs[2], s.regs[3]
		t, u := s.regs[4], s.regs[5]
		load(Mem{Base: ins[0]}, w, k)
		load(Mem{Base: ins[1]}, m, k)
		load(Mem{Base: ins[2]}, v, k)
		load(Mem{Base: ins[3]}, g, k)
		VSUBPS(m, g, t)   // t = g - m
		VMULPS(c1, t, t)  // t = (g-m)*c1
		VADDPS(t, m, m)   // m += t
		VMULPS(g, g, u)   // u = g*g
		VSUBPS(v, u, u)   // u = g*g - v
		VMULPS(c2, u, u)  // u *= c2
		VADDPS(u, v, v)   // v += u
		VSQRTPS(v, t)     // t = sqrt(v)
		VADDPS(eps, t, t) // t += eps
		VMULPS(alpha, m, u)
		VDIVPS(t, u, u) // u = (m*alpha)/t
		VSUBPS(u, w, w) // w -= u
		store(w, Mem{Base: outs[0]}, k)
		store(m, Mem{Base: outs[1]}, k)
		store(v, Mem{Base: outs[2]}, k)
	}
	Label("adamloop")
	CMPQ(n, U32(s.lanes))
	JL(LabelRef("adamtail"))
	step(nil)
	for _, p := range append(outs, ins...) {
		ADDQ(U32(s.width()), p)
	}
	SUBQ(U32(s.lanes), n)
	JMP(LabelRef("adamloop"))
	Label("adamtail")
	if s.masked {
		TESTQ(n, n)
		JE(LabelRef("adamdone"))
		maskFromCount(n, K1)
		step(K1)
	}
	Label("adamdone")
	VZEROUPPER()
	RET()
}

// constants of the transcendental routines, as RODATA.
var constMem = map[string]Mem{}

func constF32(name string, v float32) Mem {
	return constBits(name, math.Float32bits(v))
}

func constBits(name string, bits uint32) Mem {
	if m, ok := constMem[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	DATA(0, U32(bits))
	constMem[name] = m
	return m
}

// bc broadcasts a constant into r.
func bc(m Mem, r VecPhysical) { VBROADCASTSS(m, r) }

// genExpCore sets e = exp(x) for the vector x (x is clobbered), using
// tmp registers t0..t2: x is clamped to [-88, 88.8]; n = round(x*log2(e));
// r = x - n*ln2 (in two parts); e^r by its Taylor polynomial of degree 7
// on |r| <= ln2/2 (relative error below 1.2e-7); 2^n built in the
// exponent field (n = -127 gives 0: results below 2^-126 flush to zero;
// n = 128 gives +Inf: inputs above about 88.37 overflow). NaN stays NaN.
func genExpCore(s isa, x, e, t0, t1, t2 VecPhysical) {
	bc(constF32("expXMin", -88), t0)
	VMAXPS(x, t0, x)
	bc(constF32("expXMax", 88.8), t0)
	VMINPS(x, t0, x)
	bc(constF32("expLog2e", float32(math.Log2E)), t0)
	VMULPS(t0, x, t1) // t1 = x*log2e
	if s.masked {
		VRNDSCALEPS(U8(0), t1, t1) // round to nearest even
	} else {
		VROUNDPS(U8(0), t1, t1)
	}
	bc(constF32("expLn2Hi", 0.693359375), t0)
	VFNMADD231PS(t0, t1, x) // x -= n*ln2hi
	bc(constF32("expLn2Lo", -2.12194440e-4), t0)
	VFNMADD231PS(t0, t1, x) // x -= n*ln2lo: x is now r
	// Horner: p = 1 + r(1 + r(1/2 + r(1/6 + r(1/24 + r(1/120 + r(1/720 + r/5040))))))
	coef := []float64{1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1}
	bc(constF32("expC7", float32(coef[0])), e)
	for i, c := range coef[1:] {
		bc(constF32(fmt.Sprintf("expC%d", 6-i), float32(c)), t0)
		VFMADD213PS(t0, x, e) // e = e*r + c
	}
	// 2^n: (n + 127) << 23.
	VCVTPS2DQ(t1, t1)
	bc(constBits("expBias", 127), t0)
	VPADDD(t0, t1, t1)
	VPSLLD(U8(23), t1, t1)
	VMULPS(t1, e, e)
}

// genTranscendental writes exp, sigmoid (1/(1+exp(-x))) or tanh over n
// elements.
func genTranscendental(s isa, base string) {
	name := base + s.suffix
	TEXT(name, NOSPLIT, "func(dst, a *float32, n int)")
	span := "i < n"
	if !s.masked {
		span = "i < n&^7"
	}
	what := map[string]string{
		"exp":     "dst[i] = exp(a[i]) (relative error below 2e-7; results under 2^-126 flush to zero)",
		"sigmoid": "dst[i] = 1/(1+exp(-a[i]))",
		"tanh":    "dst[i] = tanh(a[i]) (an odd polynomial below 0.25 in magnitude, (1-t)/(1+t) with t = exp(-2|x|) above)",
	}[base]
	Doc(fmt.Sprintf("%s sets %s for %s.", name, what, span))
	dst := Load(Param("dst"), GP64())
	a := Load(Param("a"), GP64())
	n := Load(Param("n"), GP64())
	x, e, t0, t1, t2, t3, t4 := s.regs[0], s.regs[1], s.regs[2], s.regs[3], s.regs[4], s.regs[5], s.regs[6]
	body := func(k Op) {
		load(Mem{Base: a}, x, k)
		switch base {
		case "exp":
			genExpCore(s, x, e, t0, t1, t2)
		case "sigmoid":
			bc(constBits("signBit", 0x80000000), t0)
			s.xor(t0, x, x) // -x
			genExpCore(s, x, e, t0, t1, t2)
			bc(constF32("one", 1), t0)
			VADDPS(t0, e, e)
			VDIVPS(e, t0, e) // 1/(1+exp(-x))
		case "tanh":
			// t3 = |x|, t4 = sign(x); x becomes -2|x| for exp.
			bc(constBits("absMask", 0x7fffffff), t0)
			s.and(t0, x, t3)
			s.xor(t3, x, t4)
			bc(constF32("minusTwo", -2), t0)
			VMULPS(t0, t3, x)
			genExpCore(s, x, e, t0, t1, t2) // e = exp(-2|x|)
			bc(constF32("one", 1), t0)
			VSUBPS(e, t0, t1) // 1 - t
			VADDPS(t0, e, e)  // 1 + t
			VDIVPS(e, t1, e)  // (1-t)/(1+t)
			s.or(t4, e, e)    // with the sign of x
			// Small |x|: x*(1 + u(-1/3 + u(2/15 + u(-17/315 + u*62/2835)))), u = x*x.
			load(Mem{Base: a}, x, k)
			VMULPS(x, x, t1) // u
			bc(constF32("tanhC9", 62.0/2835), t2)
			for _, c := range []struct {
				name string
				v    float64
			}{{"tanhC7", -17.0 / 315}, {"tanhC5", 2.0 / 15}, {"tanhC3", -1.0 / 3}, {"one", 1}} {
				bc(constF32(c.name, float32(c.v)), t0)
				VFMADD213PS(t0, t1, t2)
			}
			VMULPS(x, t2, t2)
			bc(constF32("tanhSmall", 0.25), t0)
			if s.masked {
				VCMPPS(U8(1), t0, t3, K2) // |x| < 0.25 (ordered: NaN false)
				VMOVAPS(t2, K2, e)
			} else {
				VCMPPS(U8(1), t0, t3, t1)
				VBLENDVPS(t1, t2, e, e)
			}
		}
		out := e
		store(out, Mem{Base: dst}, k)
	}
	Label(base + "loop")
	CMPQ(n, U32(s.lanes))
	JL(LabelRef(base + "tail"))
	body(nil)
	ADDQ(U32(s.width()), a)
	ADDQ(U32(s.width()), dst)
	SUBQ(U32(s.lanes), n)
	JMP(LabelRef(base + "loop"))
	Label(base + "tail")
	if s.masked {
		TESTQ(n, n)
		JE(LabelRef(base + "done"))
		maskFromCount(n, K1)
		body(K1)
	}
	Label(base + "done")
	VZEROUPPER()
	RET()
}
