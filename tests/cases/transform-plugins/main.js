import site from './site.yaml';
import './theme.tokens';
console.log(site.title, site.pages.join(','));
