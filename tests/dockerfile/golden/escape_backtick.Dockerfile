#  Escape = `

FROM microsoft/nanoserver
COPY testfile.txt c:\
RUN dir c:\
ENV PATH=c:\bin;c:\tools `
    X=`$notvar
RUN echo a `
    b
