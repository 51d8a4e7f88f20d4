const variant = location.hash ? 'danger' : 'success';
document.querySelector('.btn').classList.add(`alert-${variant}`, 'toast');
