import mpmath as mp
mp.mp.prec = 200
def fit(f, a, b, deg, name, rel=True):
    # chebyfit gives near-minimax absolute; use it on f directly
    poly, err = mp.chebyfit(f, [a, b], deg+1, error=True)
    c = list(reversed(poly))  # c[0] + c[1] z + ...
    # measure relative error after rounding coeffs to double
    cd = [float(v) for v in c]
    mx = 0
    for i in range(2001):
        z = a + (b-a)*i/2000
        v = sum(mp.mpf(cd[k])*z**k for k in range(len(cd)))
        fz = f(z)
        e = abs((v-fz)/fz) if rel else abs(v-fz)
        mx = max(mx, e)
    print(name, deg, 'maxrel %.3e' % float(mx), 'log2', float(mp.log(mx,2)) if mx>0 else None)
    return cd
def Qexp(r): return (mp.exp(r)-1-r)/r**2 if r != 0 else mp.mpf(0.5)
def Ptanh(z):
    if z == 0: return mp.mpf(-1)/3
    s = mp.sqrt(z); return (mp.tanh(s)-s)/(z*s)
def Llog(z):
    if z == 0: return mp.mpf(2)/3
    s = mp.sqrt(z); return (2*mp.atanh(s)/s-2)/z
out = {}
for d in (8,9,10): out['exp',d] = fit(Qexp, -0.3467, 0.3467, d, 'expQ')
for d in (3,4,5): out['expf',d] = fit(Qexp, -0.3467, 0.3467, d, 'expQf')
for d in (8,9,10,11): out['tanh',d] = fit(Ptanh, 0, 0.3025, d, 'tanhP')
for d in (3,4,5): out['tanhf',d] = fit(Ptanh, 0, 0.3025, d, 'tanhPf')
for d in (4,5,6): out['log',d] = fit(Llog, 0, 0.0295, d, 'logL')
for d in (1,2): out['logf',d] = fit(Llog, 0, 0.0295, d, 'logLf')
import pickle; pickle.dump(out, open('coeffs.pkl','wb'))
