// The one inline script of fleet.html: renders the VM table a page at a time from the
// embedded data (html-data.ts), so a fleet of thousands of VMs stays a small DOM. Filters
// (OS, verdict for a chosen target, error, text) and the sort order apply to the whole set;
// the page shows `size` rows, with first/previous/next/last buttons. The counts line gives
// the verdicts of the filtered set for the chosen target. A link to #vm-<id> (table rows,
// the cannot-move/need-a-patch lists, or a URL opened with that fragment) renders that VM's
// drill-down: per disk and OS, the key facts line, built-for, the target × function matrix
// and the findings. Plain DOM calls, no innerHTML: every text goes through textContent.

export const FLEET_SCRIPT = `(function(){
'use strict';
var D=JSON.parse(document.getElementById('fleet-data').textContent);
var KIND={b:'boots',p:'boots-after-patch',u:'unknown',c:'cannot-boot',n:'no-os',e:'error'};
var ORDER=['boots','boots-after-patch','unknown','cannot-boot','no-os','error'];
var FN=['boot-storage','network','display'];
function $(id){return document.getElementById(id)}
function el(tag,text,cls){var e=document.createElement(tag);if(text!==undefined&&text!==null)e.textContent=String(text);if(cls)e.className=cls;return e}
var table=$('vms'),body=table.tBodies[0],heads=table.tHead.rows[0].cells;
var fOs=$('f-os'),fTarget=$('f-target'),fVerdict=$('f-verdict'),fError=$('f-error'),fSearch=$('f-search'),fSize=$('f-size');
var st={target:0,sort:-1,asc:true,page:0,size:Number(fSize.value)||100};
var view=[];
function verdictOf(r){return KIND[r.v.charAt(st.target)]||''}
var COLS=[function(r){return r.k},function(r){return r.t},function(r){return r.d},function(r){return r.o},function(r){return r.s},verdictOf,function(r){return r.r},function(r){return r.b},function(r){return r.e}];
var NUMERIC=[false,false,true,false,false,false,false,true,false];
function keep(r){
  var e=fError.value,q=fSearch.value.trim().toLowerCase();
  if(fOs.value!==''&&r.o!==fOs.value)return false;
  if(fVerdict.value!==''&&verdictOf(r)!==fVerdict.value)return false;
  if(e==='none'&&r.c!=='')return false;
  if(e==='any'&&r.c==='')return false;
  if(e!==''&&e!=='none'&&e!=='any'&&r.c!==e)return false;
  if(q!==''&&r.k.toLowerCase().indexOf(q)<0&&r.s.toLowerCase().indexOf(q)<0&&r.e.toLowerCase().indexOf(q)<0)return false;
  return true;
}
function compute(){
  st.target=Number(fTarget.value)||0;
  view=[];
  for(var i=0;i<D.rows.length;i++)if(keep(D.rows[i]))view.push(i);
  if(st.sort>=0){
    var get=COLS[st.sort],num=NUMERIC[st.sort],asc=st.asc;
    view.sort(function(a,b){var x=get(D.rows[a]),y=get(D.rows[b]);var d=num?x-y:(x<y?-1:x>y?1:0);if(d===0)d=a-b;return asc?d:-d});
  }
}
function row(r){
  var tr=el('tr');tr.setAttribute('data-id',r.i);
  var first=el('td'),a=el('a',r.k);a.href='#vm-'+r.i;first.appendChild(a);tr.appendChild(first);
  var v=verdictOf(r);
  [r.t,String(r.d),r.o,r.s].forEach(function(t){tr.appendChild(el('td',t))});
  tr.appendChild(el('td',v,'verdict v-'+v));
  [r.r,String(r.b),r.e].forEach(function(t){tr.appendChild(el('td',t))});
  return tr;
}
function render(){
  var pages=Math.max(1,Math.ceil(view.length/st.size));
  if(st.page>=pages)st.page=pages-1;
  if(st.page<0)st.page=0;
  var from=st.page*st.size,to=Math.min(view.length,from+st.size);
  var frag=document.createDocumentFragment();
  for(var n=from;n<to;n++)frag.appendChild(row(D.rows[view[n]]));
  while(body.firstChild)body.removeChild(body.firstChild);
  body.appendChild(frag);
  $('shown').textContent=String(view.length);
  $('range').textContent=view.length===0?'0':(from+1)+'-'+to;
  $('pageno').textContent=(st.page+1)+' / '+pages;
  $('p-first').disabled=$('p-prev').disabled=st.page===0;
  $('p-next').disabled=$('p-last').disabled=st.page>=pages-1;
  var counts={};
  for(var k=0;k<view.length;k++){var v=verdictOf(D.rows[view[k]]);counts[v]=(counts[v]||0)+1}
  var line=$('view-counts');while(line.firstChild)line.removeChild(line.firstChild);
  line.appendChild(el('span',(D.targets[st.target]||'')+': '));
  ORDER.forEach(function(v){var s=el('span',v+' '+(counts[v]||0),'chip v-'+v);s.setAttribute('data-verdict',v);line.appendChild(s)});
}
function update(){st.page=0;compute();render()}
[fOs,fTarget,fVerdict,fError,fSearch].forEach(function(s){s.addEventListener(s===fSearch?'input':'change',update)});
fSize.addEventListener('change',function(){st.size=Number(fSize.value)||100;st.page=0;render()});
function go(to){return function(){st.page=to(Math.max(1,Math.ceil(view.length/st.size)));render()}}
$('p-first').addEventListener('click',go(function(){return 0}));
$('p-prev').addEventListener('click',go(function(){return st.page-1}));
$('p-next').addEventListener('click',go(function(){return st.page+1}));
$('p-last').addEventListener('click',go(function(pages){return pages-1}));
Array.prototype.forEach.call(heads,function(th,i){th.addEventListener('click',function(){
  st.asc=st.sort===i?!st.asc:true;st.sort=i;
  Array.prototype.forEach.call(heads,function(o){o.removeAttribute('aria-sort')});
  th.setAttribute('aria-sort',st.asc?'ascending':'descending');
  st.page=0;compute();render();
})});
function show(id){
  var sec=$('detail'),r=null;
  for(var i=0;i<D.rows.length;i++)if(D.rows[i].i===id){r=D.rows[i];break}
  while(sec.firstChild)sec.removeChild(sec.firstChild);
  if(!r){sec.hidden=true;return false}
  var box=el('div',null,'vm');box.id='vm-'+r.i;
  var h=el('h3',r.k+' ');var back=el('a','back to table','back');back.href='#table';h.appendChild(back);box.appendChild(h);
  box.appendChild(el('p',r.x.h));
  if(r.e)box.appendChild(el('p',r.e,'error'));
  r.x.disks.forEach(function(d){
    box.appendChild(el('h4',d.k));
    if(d.e)box.appendChild(el('p',d.e,'error'));
    if(d.n)box.appendChild(el('p',d.n));
    d.oses.forEach(function(o){
      box.appendChild(el('h5',o.n));
      if(o.k)box.appendChild(el('p',o.k,'facts'));
      box.appendChild(el('p','Built for: '+o.b));
      var t=el('table',null,'matrix'),hr=el('tr');
      ['target'].concat(FN,['activation']).forEach(function(x){hr.appendChild(el('th',x))});t.appendChild(hr);
      var risks=o.a.split('|');
      D.targets.forEach(function(name,ti){
        var tr=el('tr');tr.appendChild(el('td',name));
        for(var f=0;f<FN.length;f++){
          var v=KIND[o.v.charAt(ti*FN.length+f)],via=o.via[ti*FN.length+f];
          var td=el('td',v||'-',v?'v-'+v:'');
          if(v&&via>=0)td.appendChild(el('small',' ('+D.vias[via]+')'));
          tr.appendChild(td);
        }
        tr.appendChild(el('td',risks[ti]||'-'));t.appendChild(tr);
      });
      box.appendChild(t);
      if(o.f.length>0){var ul=el('ul',null,'findings');o.f.forEach(function(fi){var f=D.findings[fi];var li=el('li',null,'sev-'+f[0]);li.appendChild(el('b',f[0]));li.appendChild(document.createTextNode(' '+f[1]+(f[2]?' ['+f[2]+']':'')+': '+f[3]));ul.appendChild(li)});box.appendChild(ul)}
    });
  });
  sec.appendChild(box);sec.hidden=false;return true;
}
function route(scroll){var m=/^#vm-([0-9a-f]{16})$/.exec(location.hash);if(m&&show(m[1])&&scroll)$('detail').scrollIntoView()}
document.addEventListener('click',function(e){var a=e.target&&e.target.closest?e.target.closest('a[href^="#vm-"]'):null;if(a)show(a.getAttribute('href').slice(4))});
window.addEventListener('hashchange',function(){route(true)});
compute();render();route(true);
})();`;
